import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TeacherConfig } from '../model/teacher-config';
import type { Architecture } from '../space/ast';
import type { StudentConfig } from '../space/presets';
import { printArchitecture } from '../space/print';
import { ONNX_OPSET } from './graph-builder';
import type { HeadSpec } from './head';
import type { ExportOptions } from './options';
import { buildStudentOnnx } from './student-graph';
import { buildTeacherOnnx } from './teacher-graph';
import type { WeightMap } from './weight-source';

/**
 * model.json as the inference server reads it (services/inference/model-config.ts
 * ModelPackageConfig, which the tests validate against; efficientbert/ may not import services/),
 * plus an `onnx` record of how the graph was exported, which the server ignores.
 */
export interface ModelJson {
  task: 'classification' | 'regression';
  labels: string[];
  maxSeqLength: number;
  /** Relative to the version directory. */
  tokenizer: string;
  architecture: string;
  metrics: Record<string, number>;
  onnx: { opset: number; fused: boolean; int8: boolean };
}

/** The tokenizer files a package carries (those present in the source directory are copied). */
export const TOKENIZER_FILES = [
  'tokenizer.json',
  'vocab.txt',
  'tokenizer_config.json',
  'special_tokens_map.json',
];
const TOKENIZER_SUBDIR = 'tokenizer';

export interface PackageTarget {
  /** Model repository root: the package goes to `<out>/<name>/<version>/`. */
  readonly out: string;
  readonly name: string;
  readonly version: number;
  /** Directory with the model's tokenizer (tokenizer.json and/or vocab.txt). */
  readonly tokenizerDir: string;
  /** Label names in logit order; default LABEL_0.. (classification) or none (regression). */
  readonly labels?: readonly string[];
  readonly metrics?: Readonly<Record<string, number>>;
  readonly maxSeqLength: number;
  readonly options: ExportOptions;
}

export interface WrittenPackage {
  readonly versionDir: string;
  readonly modelPath: string;
  readonly modelBytes: number;
  readonly modelJson: ModelJson;
}

export interface StudentPackageSpec extends Omit<PackageTarget, 'maxSeqLength'> {
  readonly config: StudentConfig;
  readonly arch: Architecture;
  readonly weights: WeightMap;
  readonly head: HeadSpec;
  /** Default: config.maxSeq. */
  readonly maxSeqLength?: number;
}

/** Exports a student (random-init or trained) as a servable package. */
export function exportStudentPackage(spec: StudentPackageSpec): WrittenPackage {
  const model = buildStudentOnnx(spec);
  return writeModelPackage(
    { ...spec, maxSeqLength: spec.maxSeqLength ?? spec.config.maxSeq },
    model,
    spec.head,
    printArchitecture(spec.arch),
  );
}

export interface TeacherPackageSpec extends PackageTarget {
  readonly config: TeacherConfig;
  readonly weights: WeightMap;
}

/** Exports a BERT teacher with a task head (numLabels ≥ 1) as a servable package. */
export function exportTeacherPackage(spec: TeacherPackageSpec): WrittenPackage {
  const { config } = spec;
  if (config.numLabels < 1) throw new Error('export: a served teacher needs a task head (numLabels ≥ 1)');
  const head: HeadSpec = {
    task: 'teacher',
    kind: config.numLabels === 1 ? 'regression' : 'classification',
    outputs: config.numLabels,
  };
  const architecture = `bert(layers=${config.layers},hidden=${config.hidden},heads=${config.heads},intermediate=${config.intermediate},act=${config.hiddenAct})`;
  return writeModelPackage(spec, buildTeacherOnnx(spec), head, architecture);
}

/**
 * Writes `<out>/<name>/<version>/{model.onnx, tokenizer/, model.json}`. model.json goes last and
 * every file is renamed into place, so a repository poller never loads a half-written package.
 */
export function writeModelPackage(
  target: PackageTarget,
  model: Uint8Array,
  head: HeadSpec,
  architecture: string,
): WrittenPackage {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(target.name))
    throw new Error(`export: invalid model name '${target.name}'`);
  if (!Number.isInteger(target.version) || target.version < 1) {
    throw new Error(`export: version must be a positive integer, got ${target.version}`);
  }
  const labels = target.labels ? [...target.labels] : defaultLabels(head);
  const fits = head.kind === 'regression' ? labels.length <= 1 : labels.length === head.outputs;
  if (!fits) {
    throw new Error(`export: ${labels.length} labels for a ${head.kind} head with ${head.outputs} outputs`);
  }
  const versionDir = path.join(target.out, target.name, String(target.version));
  const tokenizerOut = path.join(versionDir, TOKENIZER_SUBDIR);
  fs.mkdirSync(tokenizerOut, { recursive: true });
  const copied = TOKENIZER_FILES.filter((f) => fs.existsSync(path.join(target.tokenizerDir, f)));
  if (!copied.some((f) => f === 'tokenizer.json' || f === 'vocab.txt')) {
    throw new Error(`export: ${target.tokenizerDir} has no tokenizer.json or vocab.txt`);
  }
  for (const f of copied) {
    const dest = path.join(tokenizerOut, f);
    fs.copyFileSync(path.join(target.tokenizerDir, f), dest);
    // The source may be a read-only data set; the package's copy must stay replaceable.
    fs.chmodSync(dest, 0o644);
  }
  const modelPath = path.join(versionDir, 'model.onnx');
  writeAtomically(modelPath, model);
  const modelJson: ModelJson = {
    task: head.kind,
    labels,
    maxSeqLength: target.maxSeqLength,
    tokenizer: `${TOKENIZER_SUBDIR}/`,
    architecture,
    metrics: { ...target.metrics },
    onnx: { opset: ONNX_OPSET, fused: target.options.fused, int8: target.options.int8 },
  };
  writeAtomically(path.join(versionDir, 'model.json'), `${JSON.stringify(modelJson, null, 2)}\n`);
  return { versionDir, modelPath, modelBytes: model.byteLength, modelJson };
}

function defaultLabels(head: HeadSpec): string[] {
  return head.kind === 'regression' ? [] : Array.from({ length: head.outputs }, (_, i) => `LABEL_${i}`);
}

function writeAtomically(file: string, data: Uint8Array | string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}
