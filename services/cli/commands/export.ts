import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { HeadSpec } from '../../../efficientbert/export/head';
import {
  exportStudentPackage,
  exportTeacherPackage,
  type WrittenPackage,
} from '../../../efficientbert/export/model-package';
import type { ExportOptions } from '../../../efficientbert/export/options';
import { randomInitWeights } from '../../../efficientbert/export/random-init';
import { publishedArchitecture } from '../../../efficientbert/model/published-arch';
import { teacherConfigFromHf, teacherWeightShapes } from '../../../efficientbert/model/teacher-config';
import type { Architecture } from '../../../efficientbert/space/ast';
import { ParseError, parseArchitecture } from '../../../efficientbert/space/parse';
import { presetByName, type StudentConfig } from '../../../efficientbert/space/presets';
import { headWeightShapes, studentWeightShapes } from '../../../efficientbert/space/weights';
import { type Command, EXIT, UsageError } from '../command';

/** The BERT uncased tokenizer of the read-only data set beside the repository. */
const DEFAULT_TOKENIZER = path.resolve(__dirname, '../../../../shared/data/bert-base-uncased');
/** Served sequence length of an exported BERT: GLUE's 128 (spec §2). */
const BERT_MAX_SEQ = 128;

const USAGE = `usage: efficientbert export --random-init --out DIR [options]

Writes a servable model package DIR/<name>/<version>/{model.onnx, model.json, tokenizer/}.
  --preset NAME       student shape: tiny | small | paper (default paper)
  --arch TEXT         architecture in the paper's token form (default: the published EfficientBERT)
  --bert CONFIG       export a standard BERT from a Hugging Face config.json instead of a student
  --random-init       seeded random weights (BERT init), for benchmarks and tests
  --seed N            seed of the random weights (default 42)
  --labels A,B,...    label names in logit order (default negative,positive)
  --regression        a single regression output instead of a classifier
  --task NAME         task name of the head (default sst2)
  --tokenizer DIR     tokenizer copied into the package (default the BERT uncased one)
  --name NAME         model name in the repository (default efficientbert)
  --version N         version number (default 1)
  --fused             com.microsoft fused operators (ONNX Runtime only)
  --int8              dynamic int8 quantization of the matmul weights
  --json              print the result as JSON`;

export const exportCommand: Command = {
  summary: 'export a model package (ONNX + model.json + tokenizer) for the inference server',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        preset: { type: 'string', default: 'paper' },
        arch: { type: 'string' },
        bert: { type: 'string' },
        'random-init': { type: 'boolean', default: false },
        seed: { type: 'string', default: '42' },
        labels: { type: 'string' },
        regression: { type: 'boolean', default: false },
        task: { type: 'string', default: 'sst2' },
        tokenizer: { type: 'string', default: DEFAULT_TOKENIZER },
        out: { type: 'string' },
        name: { type: 'string', default: 'efficientbert' },
        version: { type: 'string', default: '1' },
        fused: { type: 'boolean', default: false },
        int8: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      console.log(USAGE);
      return EXIT.ok;
    }
    if (!values.out) throw new UsageError(`--out is required\n\n${USAGE}`);
    // Trained weights come through exportStudentPackage from the search; the CLI only makes
    // random-init packages, and says so rather than exporting something unexpected.
    if (!values['random-init'])
      throw new UsageError('only --random-init packages can be exported from the CLI for now');
    if (values.bert && values.arch) throw new UsageError('give --bert or --arch, not both');
    const seed = integer('--seed', values.seed);
    const version = integer('--version', values.version);
    if (values.regression && values.labels) throw new UsageError('--labels does not apply to --regression');
    const labels = values.regression
      ? []
      : (values.labels ?? 'negative,positive').split(',').map((l) => l.trim());
    const head: HeadSpec = values.regression
      ? { task: values.task, kind: 'regression', outputs: 1 }
      : { task: values.task, kind: 'classification', outputs: labels.length };
    const options: ExportOptions = { fused: values.fused, int8: values.int8 };
    const target = {
      out: values.out,
      name: values.name,
      version,
      tokenizerDir: values.tokenizer,
      labels,
      options,
    };
    const started = Date.now();
    let written: WrittenPackage;
    if (values.bert) {
      const config = { ...teacherConfigFromHf(readJson(values.bert), values.bert), numLabels: head.outputs };
      const weights = randomInitWeights(teacherWeightShapes(config), seed);
      written = exportTeacherPackage({ ...target, config, weights, maxSeqLength: BERT_MAX_SEQ });
    } else {
      const config = presetOrUsage(values.preset);
      const arch = architecture(config, values.arch);
      const shapes = new Map([
        ...studentWeightShapes(config, arch),
        ...headWeightShapes(config, head.task, head.outputs),
      ]);
      written = exportStudentPackage({
        ...target,
        config,
        arch,
        head,
        weights: randomInitWeights(shapes, seed),
      });
    }
    const result = {
      versionDir: written.versionDir,
      modelBytes: written.modelBytes,
      architecture: written.modelJson.architecture,
      fused: options.fused,
      int8: options.int8,
      seconds: (Date.now() - started) / 1000,
    };
    if (values.json) console.log(JSON.stringify(result));
    else console.log(`wrote ${result.versionDir} (model.onnx ${(result.modelBytes / 1e6).toFixed(1)} MB)`);
    return EXIT.ok;
  },
};

function integer(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`${flag} must be a non-negative integer, got '${text}'`);
  return n;
}

function presetOrUsage(name: string): StudentConfig {
  try {
    return presetByName(name);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function architecture(config: StudentConfig, text: string | undefined): Architecture {
  if (text === undefined) return publishedArchitecture(config.layers);
  try {
    const arch = parseArchitecture(text);
    if (arch.layers.length !== config.layers) {
      throw new UsageError(`--arch has ${arch.layers.length} layers, the preset has ${config.layers}`);
    }
    return arch;
  } catch (err) {
    if (err instanceof ParseError) throw new UsageError(`--arch: ${err.message}`);
    throw err;
  }
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file}: ${(err as Error).message}`);
  }
}
