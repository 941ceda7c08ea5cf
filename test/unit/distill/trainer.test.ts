import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { Prng } from '../../../efficientbert/core/prng';
import {
  BatchIterator,
  type BatchIteratorState,
  type EncodedDataset,
} from '../../../efficientbert/data/batching';
import { AdamW, clipByGlobalNorm } from '../../../efficientbert/distill/adamw';
import { kdStepLoss } from '../../../efficientbert/distill/kd-step';
import { singleTaskTeachers } from '../../../efficientbert/distill/teacher-set';
import { train } from '../../../efficientbert/distill/trainer';
import { selectBackend } from '../../../efficientbert/model/backend';
import { classificationHead } from '../../../efficientbert/model/heads';
import { ParamStore } from '../../../efficientbert/model/params';
import { publishedArchitecture } from '../../../efficientbert/model/published-arch';
import { StudentModel } from '../../../efficientbert/model/student-model';
import { Teacher } from '../../../efficientbert/model/teacher';
import * as tf from '../../../efficientbert/model/tf';
import { PRESETS, type StudentConfig } from '../../../efficientbert/space/presets';
import { sampleArchitecture, stage3Plan } from '../../../efficientbert/space/sample';

const STUDENT: StudentConfig = { ...PRESETS.tiny, vocabSize: 100, teacherHidden: 32 };
const TEACHER = {
  vocabSize: 100,
  hidden: 32,
  layers: 4,
  heads: 2,
  intermediate: 64,
  hiddenAct: 'gelu_new' as const,
  maxPositions: 64,
  typeVocab: 2,
  layerNormEps: 1e-12,
  dropout: 0.1,
  numLabels: 2,
};

/** Stage 3: the published expressions with a uniformly drawn size per layer. */
const SIZES = stage3Plan(publishedArchitecture(STUDENT.layers));

/** 40 random sentences of 3–9 tokens with random binary labels. */
function dataset(): EncodedDataset {
  const rng = Prng.fromSeed(11);
  const ids: number[] = [];
  const offsets = [0];
  for (let i = 0; i < 40; i++) {
    const n = 3 + rng.int(7);
    for (let k = 0; k < n; k++) ids.push(k === 0 ? 1 : 2 + rng.int(98));
    offsets.push(ids.length);
  }
  return {
    size: 40,
    tokenIds: Int32Array.from(ids),
    tokenTypeIds: new Uint8Array(ids.length),
    offsets: Int32Array.from(offsets),
    labels: Int32Array.from({ length: 40 }, () => rng.int(2)),
    padId: 0,
    maxSeq: 16,
    truncatedCount: 0,
  };
}

function setup(seed: number) {
  const teacher = Teacher.random(TEACHER, Prng.fromSeed(100));
  const student = StudentModel.supernet(STUDENT, [classificationHead('c', 2)], Prng.fromSeed(seed));
  return { teacher, student };
}

function run(seed: number, opts: { stopAfterStep?: number; dir?: string; totalSteps?: number } = {}) {
  const { teacher, student } = setup(seed);
  const teachers = singleTaskTeachers(teacher);
  const ds = dataset();
  const result = train({
    params: student.params,
    // Stage-3 single-path training: a random sub-network per step from the step's own Prng.
    loss: (batch, ctx) =>
      kdStepLoss(student, sampleArchitecture(ctx.rng, STUDENT, SIZES), teachers, batch, ctx, 'c'),
    openData: (state: unknown) =>
      new BatchIterator(ds, { batchSize: 8 }, (state as BatchIteratorState | null) ?? { seed: 5 }),
    totalSteps: opts.totalSteps ?? 8,
    peakLr: 1e-3,
    seed: 42,
    dropoutRate: 0.1,
    stopAfterStep: opts.stopAfterStep,
    checkpoint: opts.dir ? { dir: opts.dir, everySteps: 100 } : undefined,
    evaluate: { everySteps: 4, run: () => -student.params.get('heads.c.classifier.bias').dataSync()[0]! },
  });
  const weights = student.params.toArrays();
  teacher.dispose();
  student.dispose();
  return { result, weights };
}

describe('trainer', () => {
  before(async () => {
    await selectBackend('wasm', () => {});
  });

  it('is deterministic: the same seed gives the same loss curve bit for bit', () => {
    const a = run(1).result.losses;
    const b = run(1).result.losses;
    assert.equal(a.length, 8);
    assert.ok(a.every(Number.isFinite));
    assert.deepEqual(a, b);
  });

  it('resumes from a checkpoint with exactly the losses of an uninterrupted run', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-'));
    const straight = run(2);
    const first = run(2, { stopAfterStep: 5, dir: path.join(dir, 'c') });
    assert.equal(first.result.stepsDone, 5);
    assert.ok(fs.existsSync(path.join(dir, 'c', 'manifest.json')));
    const resumed = run(2, { dir: path.join(dir, 'c') });
    assert.deepEqual(resumed.result.losses, straight.result.losses);
    assert.deepEqual(resumed.result.evals, straight.result.evals);
    for (const [name, w] of straight.weights) assert.deepEqual(resumed.weights.get(name)!.data, w.data, name);
  });

  it('keeps the tensor count flat across steps', () => {
    const counts: number[] = [];
    const { teacher, student } = setup(3);
    const teachers = singleTaskTeachers(teacher);
    const ds = dataset();
    train({
      params: student.params,
      loss: (batch, ctx) => kdStepLoss(student, publishedArchitecture(STUDENT.layers), teachers, batch, ctx),
      openData: () => new BatchIterator(ds, { batchSize: 8 }, { seed: 1 }),
      totalSteps: 6,
      peakLr: 1e-3,
      seed: 1,
      dropoutRate: 0.1,
      progressEverySteps: 1,
      onProgress: (p) => {
        assert.ok(p.examplesPerSec > 0);
        counts.push(tf.memory().numTensors);
      },
    });
    // The optimizer creates its moments on step 1; from then on nothing may accumulate.
    assert.deepEqual(counts.slice(2), Array(counts.length - 2).fill(counts[1]));
    teacher.dispose();
    student.dispose();
  });
});

describe('AdamW', () => {
  it('matches a hand computation, with decay on kernels only', () => {
    const params = new ParamStore();
    params.add('w.kernel', tf.tensor1d([1, -2]));
    params.add('w.bias', tf.tensor1d([1, -2]));
    const opt = new AdamW(params);
    const g = tf.tensor1d([0.5, 0.5]);
    opt.apply(
      new Map([
        ['w.kernel', g],
        ['w.bias', g],
      ]),
      0.1,
    );
    // Step 1: m̂ = g, v̂ = g², update = lr·g/(|g|+eps) ≈ 0.1; decay multiplies kernels by 1 − 0.1·0.01.
    const k = params.get('w.kernel').dataSync();
    const b = params.get('w.bias').dataSync();
    assert.ok(Math.abs(k[0]! - (1 * 0.999 - 0.1 * (0.5 / (0.5 + 1e-6)))) < 1e-6);
    assert.ok(Math.abs(b[1]! - (-2 - 0.1 * (0.5 / (0.5 + 1e-6)))) < 1e-6);
    opt.dispose();
    params.dispose();
  });

  it('clips to a global norm of 1', () => {
    const { grads, norm } = clipByGlobalNorm(
      new Map([
        ['a', tf.tensor1d([3, 0])],
        ['b', tf.tensor1d([0, 4])],
      ]),
      1,
    );
    assert.ok(Math.abs(norm.dataSync()[0]! - 5) < 1e-6);
    assert.ok(Math.abs(grads.get('b')!.dataSync()[1]! - 0.8) < 1e-6);
  });
});
