import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Prng } from '../../../efficientbert/core/prng';
import {
  kdStepLoss,
  studentSupervisedLoss,
  teacherSupervisedLoss,
} from '../../../efficientbert/distill/kd-step';
import type { StepContext } from '../../../efficientbert/distill/trainer';
import { selectBackend } from '../../../efficientbert/model/backend';
import { classificationHead, regressionHead } from '../../../efficientbert/model/heads';
import { noDropout } from '../../../efficientbert/model/layers';
import { publishedArchitecture } from '../../../efficientbert/model/published-arch';
import { StudentModel } from '../../../efficientbert/model/student-model';
import { Teacher } from '../../../efficientbert/model/teacher';
import * as tf from '../../../efficientbert/model/tf';
import { PRESETS, type StudentConfig } from '../../../efficientbert/space/presets';

const STUDENT: StudentConfig = { ...PRESETS.tiny, vocabSize: 50, teacherHidden: 24 };
const teacherConfig = (heads: number, numLabels: number) => ({
  vocabSize: 50,
  hidden: 24,
  layers: 2,
  heads,
  intermediate: 48,
  hiddenAct: 'gelu' as const,
  maxPositions: 16,
  typeVocab: 2,
  layerNormEps: 1e-12,
  dropout: 0.1,
  numLabels,
});
const batch = {
  inputIds: Int32Array.from([2, 7, 9, 4, 0, 3, 5, 0]),
  tokenTypeIds: new Int32Array(8),
  attentionMask: Int32Array.from([1, 1, 1, 1, 1, 1, 1, 0]),
  labels: Float32Array.from([1, 0]),
  batchSize: 2,
  seqLen: 4,
};
const ctx: StepContext = { step: 0, dropout: noDropout, rng: Prng.fromSeed(1) };
const value = (t: tf.Scalar) => t.dataSync()[0]!;

describe('distillation steps', () => {
  before(async () => {
    await selectBackend('wasm', () => {});
  });

  it('fine-tuning KD = pre-training KD + the prediction term, on a multi-task student', () => {
    const teacher = Teacher.random(teacherConfig(2, 2), Prng.fromSeed(1));
    const student = StudentModel.supernet(
      STUDENT,
      [classificationHead('a', 2), regressionHead('b')],
      Prng.fromSeed(2),
    );
    const arch = publishedArchitecture(STUDENT.layers);
    tf.tidy(() => {
      const pre = value(kdStepLoss(student, arch, teacher, batch, ctx));
      const fine = value(kdStepLoss(student, arch, teacher, batch, ctx, 'a'));
      const reg = value(kdStepLoss(student, arch, teacher, batch, ctx, 'b'));
      assert.ok(Number.isFinite(pre) && fine > pre && reg > pre);
    });
    teacher.dispose();
    student.dispose();
  });

  it('distills from a teacher with a different head count (head-averaged attention term)', () => {
    const teacher = Teacher.random(teacherConfig(4, 2), Prng.fromSeed(3));
    const student = StudentModel.supernet(STUDENT, [classificationHead('a', 2)], Prng.fromSeed(4));
    tf.tidy(() =>
      assert.ok(
        Number.isFinite(value(kdStepLoss(student, publishedArchitecture(2), teacher, batch, ctx, 'a'))),
      ),
    );
    teacher.dispose();
    student.dispose();
  });

  it('supervised losses train the teacher and a student head without a teacher', () => {
    const teacher = Teacher.random(teacherConfig(2, 2), Prng.fromSeed(5));
    const student = StudentModel.supernet(STUDENT, [classificationHead('a', 2)], Prng.fromSeed(6));
    tf.tidy(() => {
      // Untrained heads are close to uniform: cross-entropy ≈ ln 2.
      assert.ok(Math.abs(value(teacherSupervisedLoss(teacher, batch, ctx)) - Math.LN2) < 0.1);
      assert.ok(
        Math.abs(
          value(studentSupervisedLoss(student, publishedArchitecture(2), 'a', batch, ctx)) - Math.LN2,
        ) < 0.1,
      );
    });
    teacher.dispose();
    student.dispose();
  });
});
