/**
 * The model claims of bench/serve: in-process ONNX Runtime p50 at batch 1, sequence 128, of the
 * published EfficientBERT (paper preset, seeded random init) against BERT-base (12 x 768), both
 * written by efficientbert/export as servable packages (the paper claims 4.4x), and EfficientBERT
 * int8 against fp32 (target >= 1.4x). The models are measured in interleaved rounds, so that load
 * from other processes hits all of them alike.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { exportStudentPackage, exportTeacherPackage } from '../../efficientbert/export/model-package';
import { randomInitWeights } from '../../efficientbert/export/random-init';
import { publishedArchitecture } from '../../efficientbert/model/published-arch';
import { teacherConfigFromHf, teacherWeightShapes } from '../../efficientbert/model/teacher-config';
import { PRESETS } from '../../efficientbert/space/presets';
import { headWeightShapes, studentWeightShapes } from '../../efficientbert/space/weights';
import { createSessionWithFallback } from '../../services/inference/runtime/session-factory';
import { BERT_TOKENIZER_DIR, writeTinyClassifier } from '../../test/fixtures/tiny-classifier';
import { percentile, ratio, round3, summary, timed } from '../lib/stats';
import { LABELS, SEQ } from './workload';

const BERT_CONFIG = join(BERT_TOKENIZER_DIR, 'config.json');
const WARMUP_RUNS = 3;

export type Role = 'efficientbert' | 'efficientbertInt8' | 'bertBase';

export interface ModelFile {
  role: Role;
  path: string;
  bytes: number;
  architecture: string;
}

/**
 * Writes the packages: the served model (EfficientBERT fp32, package name `efficientbert`) into
 * `repo`, the others beside it in `others`. `tiny`: the test fixture classifier stands in for every
 * model (no export; checks the machinery only).
 */
export function writeModels(
  repo: string,
  others: string,
  options: { tiny: boolean; seed: number; log: (message: string) => void },
): { served: string; files: ModelFile[] } {
  const { seed, log } = options;
  const target = { version: 1, tokenizerDir: BERT_TOKENIZER_DIR, labels: LABELS };
  if (options.tiny) {
    const files = (['efficientbert', 'efficientbertInt8', 'bertBase'] as const).map((role, i) => {
      const dir = i === 0 ? repo : others;
      const written = writeTinyClassifier(dir, { name: role, version: 1, seed, maxSeqLength: SEQ });
      const path = join(written.versionDir, 'model.onnx');
      return { role, path, bytes: readFileSync(path).byteLength, architecture: 'tiny fixture' };
    });
    return { served: 'efficientbert', files };
  }
  const files: ModelFile[] = [];
  const config = PRESETS.paper;
  const arch = publishedArchitecture(config.layers);
  const head = { task: 'sst2', kind: 'classification' as const, outputs: LABELS.length };
  let started = Date.now();
  const weights = randomInitWeights(
    new Map([...studentWeightShapes(config, arch), ...headWeightShapes(config, head.task, head.outputs)]),
    seed,
  );
  for (const [role, out, int8] of [
    ['efficientbert', repo, false],
    ['efficientbertInt8', others, true],
  ] as const) {
    const written = exportStudentPackage({
      ...target,
      out,
      name: role,
      config,
      arch,
      head,
      weights,
      options: { fused: false, int8 },
    });
    files.push({
      role,
      path: written.modelPath,
      bytes: written.modelBytes,
      architecture: written.modelJson.architecture,
    });
  }
  log(`exported EfficientBERT fp32 + int8 in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  started = Date.now();
  const teacher = {
    ...teacherConfigFromHf(JSON.parse(readFileSync(BERT_CONFIG, 'utf8')), BERT_CONFIG),
    numLabels: LABELS.length,
  };
  const written = exportTeacherPackage({
    ...target,
    out: others,
    name: 'bertBase',
    config: teacher,
    weights: randomInitWeights(teacherWeightShapes(teacher), seed),
    maxSeqLength: SEQ,
    options: { fused: false, int8: false },
  });
  files.push({
    role: 'bertBase',
    path: written.modelPath,
    bytes: written.modelBytes,
    architecture: written.modelJson.architecture,
  });
  log(`exported BERT-base in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { served: 'efficientbert', files };
}

export interface ModelRuns {
  /** Per round, runs of each file in turn (`runs[i]` of `files[i]`). */
  rounds: number;
  runs: readonly number[];
  intraOpThreads: number;
}

/**
 * Measures every model in process with the server's own session factory, so that the runs use
 * exactly a server worker's options. Returns the JSON per model, the claims, and the served model's
 * session, which stays open for the gRPC comparison (the caller releases it); the others are released.
 */
export async function measureModels(
  files: readonly ModelFile[],
  feeds: Record<string, ort.Tensor>,
  plan: ModelRuns,
): Promise<{
  models: Record<string, ReturnType<typeof summary> & { modelMB: number; architecture: string }>;
  claims: ReturnType<typeof modelClaims>;
  served: { file: ModelFile; session: ort.InferenceSession };
}> {
  const inProcess: Array<{ file: ModelFile; session: ort.InferenceSession; samples: number[] }> = [];
  try {
    for (const file of files) {
      const { session } = await createSessionWithFallback(file.path, {
        providers: ['cpu'],
        intraOpThreads: plan.intraOpThreads,
      });
      inProcess.push({ file, session, samples: [] });
      for (let i = 0; i < WARMUP_RUNS; i++) await session.run(feeds);
    }
    for (let r = 0; r < plan.rounds; r++) {
      for (const [i, m] of inProcess.entries()) {
        for (let k = 0; k < plan.runs[i]!; k++) m.samples.push(await timed(() => m.session.run(feeds)));
      }
    }
  } catch (err) {
    for (const m of inProcess) await m.session.release().catch(() => undefined);
    throw err;
  }
  const byRole = new Map(inProcess.map((m) => [m.file.role, m]));
  const p50 = (role: Role) => percentile(byRole.get(role)!.samples, 0.5);
  const served = byRole.get('efficientbert')!;
  for (const m of inProcess) if (m !== served) await m.session.release();
  return {
    models: Object.fromEntries(
      inProcess.map((m) => [
        m.file.role,
        { ...summary(m.samples), modelMB: round3(m.file.bytes / 1e6), architecture: m.file.architecture },
      ]),
    ),
    claims: modelClaims(p50),
    served: { file: served.file, session: served.session },
  };
}

function modelClaims(p50: (role: Role) => number) {
  return {
    efficientbertVsBertBase: {
      speedupP50: ratio(p50('bertBase'), p50('efficientbert')),
      paper: 4.4,
    },
    int8VsFp32: {
      speedupP50: ratio(p50('efficientbert'), p50('efficientbertInt8')),
      target: 1.4,
      met: p50('efficientbert') / p50('efficientbertInt8') >= 1.4,
    },
  };
}
