/**
 * Shared by the export parity tests: seeded random weights (larger than the training init, so that
 * every bias, gain and activation region matters), the tfjs reference forward in inference mode,
 * and ONNX Runtime runs of exported graphs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Prng } from '../../../efficientbert/core/prng';
import type { HeadSpec } from '../../../efficientbert/export/head';
import type { WeightMap } from '../../../efficientbert/export/weight-source';
import { headLogits } from '../../../efficientbert/model/heads';
import { noDropout } from '../../../efficientbert/model/layers';
import { ParamStore } from '../../../efficientbert/model/params';
import { studentEncoder } from '../../../efficientbert/model/student';
import { teacherForward } from '../../../efficientbert/model/teacher';
import { type TeacherConfig, teacherWeightShapes } from '../../../efficientbert/model/teacher-config';
import * as tf from '../../../efficientbert/model/tf';
import type { Architecture } from '../../../efficientbert/space/ast';
import type { StudentConfig } from '../../../efficientbert/space/presets';
import { headWeightShapes, type Shape, studentWeightShapes } from '../../../efficientbert/space/weights';

export interface Batch {
  readonly batch: number;
  readonly seq: number;
  readonly inputIds: Int32Array;
  readonly tokenTypeIds: Int32Array;
  readonly attentionMask: Int32Array;
}

/** Random ids; row r is padded from position seq − 2r on (row 0 unpadded), segment 1 in the second half. */
export function randomBatch(seed: number, batch: number, seq: number, vocab: number): Batch {
  const rng = Prng.fromSeed(seed);
  const n = batch * seq;
  const attentionMask = Int32Array.from({ length: n }, (_, i) =>
    i % seq < Math.max(1, seq - 2 * Math.floor(i / seq)) ? 1 : 0,
  );
  return {
    batch,
    seq,
    inputIds: Int32Array.from({ length: n }, () => rng.int(vocab)),
    tokenTypeIds: Int32Array.from({ length: n }, (_, i) => (i % seq >= seq / 2 ? 1 : 0)),
    attentionMask,
  };
}

/** Weights for `shapes`: N(0, std) kernels and embeddings, gains 1 ± 0.1, biases N(0, 0.1). */
export function randomWeights(
  shapes: ReadonlyMap<string, Shape>,
  seed: number,
  std: number,
): Map<string, Float32Array> {
  const rng = Prng.fromSeed(seed);
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    const gain = /(gamma|LayerNorm\.weight)$/.test(name);
    const bias = /(bias|beta)$/.test(name);
    out.set(
      name,
      Float32Array.from({ length: size }, () =>
        gain ? 1 + 0.1 * rng.normal() : (bias ? 0.1 : std) * rng.normal(),
      ),
    );
  }
  return out;
}

export function studentShapes(config: StudentConfig, arch: Architecture, head: HeadSpec): Map<string, Shape> {
  return new Map([
    ...studentWeightShapes(config, arch),
    ...headWeightShapes(config, head.task, head.outputs),
  ]);
}

function store(weights: WeightMap, shapes: ReadonlyMap<string, Shape>): ParamStore {
  return ParamStore.fromArrays(
    [...shapes].map(([name, shape]) => [name, { shape, data: weights.get(name)! }]),
  );
}

function tfInputs(batch: Batch) {
  const shape: [number, number] = [batch.batch, batch.seq];
  return {
    inputIds: tf.tensor2d(batch.inputIds, shape, 'int32'),
    tokenTypeIds: tf.tensor2d(batch.tokenTypeIds, shape, 'int32'),
    attentionMask: tf.tensor2d(Float32Array.from(batch.attentionMask), shape, 'float32'),
  };
}

export interface Outputs {
  readonly logits: Float32Array;
  readonly hidden: Float32Array;
}

/** The tfjs student (efficientbert/model) on `batch`, without dropout. */
export function tfjsStudent(
  config: StudentConfig,
  arch: Architecture,
  head: HeadSpec,
  weights: WeightMap,
  batch: Batch,
): Outputs {
  const params = store(weights, studentShapes(config, arch, head));
  try {
    return tf.tidy(() => {
      const w = params.weights();
      const out = studentEncoder(w, config, arch, tfInputs(batch), noDropout);
      const last = out.hidden.at(-1)!;
      const logits = headLogits(w, head.task, last, batch.batch, batch.seq, noDropout);
      return { logits: logits.dataSync() as Float32Array, hidden: last.dataSync() as Float32Array };
    });
  } finally {
    params.dispose();
  }
}

export function tfjsTeacher(config: TeacherConfig, weights: WeightMap, batch: Batch): Outputs {
  const params = store(weights, teacherWeightShapes(config));
  try {
    return tf.tidy(() => {
      const out = teacherForward(params.weights(), config, tfInputs(batch), noDropout);
      return {
        logits: out.logits!.dataSync() as Float32Array,
        hidden: out.hidden.at(-1)!.dataSync() as Float32Array,
      };
    });
  } finally {
    params.dispose();
  }
}

function int64(data: Int32Array, batch: Batch): ort.Tensor {
  return new ort.Tensor(
    'int64',
    BigInt64Array.from(data, (v) => BigInt(v)),
    [batch.batch, batch.seq],
  );
}

/** Runs an exported model in ONNX Runtime (CPU) and returns every output by name. */
export async function runOrt(model: Uint8Array, batch: Batch): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(model, {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
  });
  try {
    const out = await session.run({
      input_ids: int64(batch.inputIds, batch),
      attention_mask: int64(batch.attentionMask, batch),
      token_type_ids: int64(batch.tokenTypeIds, batch),
    });
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await session.release();
  }
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The largest differences seen per export variant, reported by the tests as a diagnostic. */
export class ParityLog {
  private readonly worst = new Map<string, { logits: number; hidden: number }>();

  record(variant: string, logits: number, hidden: number): void {
    const w = this.worst.get(variant) ?? { logits: 0, hidden: 0 };
    this.worst.set(variant, { logits: Math.max(w.logits, logits), hidden: Math.max(w.hidden, hidden) });
  }

  summary(): string {
    return [...this.worst]
      .map(
        ([v, w]) =>
          `${v}: max |Δlogits| ${w.logits.toExponential(2)}, max |Δhidden| ${w.hidden.toExponential(2)}`,
      )
      .join('; ');
  }
}

/** fp32 exports must match the tfjs model this closely (max absolute difference). */
export const FP32_TOLERANCE = { logits: 1e-4, hidden: 1e-4 };
/**
 * int8 exports (weights per-column int8, activations dynamic uint8) against the fp32 tfjs model:
 * bounds on the max absolute difference, measured with N(0, 0.1) weights and LayerNorm-scaled
 * hidden states (values of order 1).
 */
export const INT8_TOLERANCE = { logits: 0.05, hidden: 0.25 };

/**
 * Runs onnx.checker (full check, with shape inference) on serialized models in one Python process;
 * returns "label: message" for each model that fails. Needs python3 with `onnx` (requirements-dev.txt).
 */
export function onnxCheckAll(models: ReadonlyMap<string, Uint8Array>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'onnx-check-'));
  try {
    const labels = [...models.keys()];
    for (const [i, label] of labels.entries()) writeFileSync(join(dir, `${i}.onnx`), models.get(label)!);
    const script = [
      'import sys, onnx',
      'for i in range(int(sys.argv[2])):',
      '    try: onnx.checker.check_model(f"{sys.argv[1]}/{i}.onnx", full_check=True)',
      '    except Exception as e: print(i, str(e).replace(chr(10), " "))',
    ].join('\n');
    const out = execFileSync('python3', ['-c', script, dir, String(labels.length)], { encoding: 'utf8' });
    return out
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const [index, ...message] = line.split(' ');
        return `${labels[Number(index)]}: ${message.join(' ')}`;
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
