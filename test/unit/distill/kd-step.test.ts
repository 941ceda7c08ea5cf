import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Prng } from '../../../efficientbert/core/prng';
import {
  kdStepLoss,
  studentSupervisedLoss,
  teacherSupervisedLoss,
} from '../../../efficientbert/distill/kd-step';
import { singleTaskTeachers } from '../../../efficientbert/distill/teacher-set';
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
    const teachers = singleTaskTeachers(teacher);
    const student = StudentModel.supernet(
      STUDENT,
      [classificationHead('a', 2), regressionHead('b')],
      Prng.fromSeed(2),
    );
    const arch = publishedArchitecture(STUDENT.layers);
    tf.tidy(() => {
      const pre = value(kdStepLoss(student, arch, teachers, batch, ctx));
      const fine = value(kdStepLoss(student, arch, teachers, batch, ctx, 'a'));
      const reg = value(kdStepLoss(student, arch, teachers, batch, ctx, 'b'));
      assert.ok(Number.isFinite(pre) && fine > pre && reg > pre);
    });
    teacher.dispose();
    student.dispose();
  });

  it('distills from a teacher with a different head count (head-averaged attention term)', () => {
    const teacher = Teacher.random(teacherConfig(4, 2), Prng.fromSeed(3));
    const teachers = singleTaskTeachers(teacher);
    const student = StudentModel.supernet(STUDENT, [classificationHead('a', 2)], Prng.fromSeed(4));
    tf.tidy(() =>
      assert.ok(
        Number.isFinite(value(kdStepLoss(student, publishedArchitecture(2), teachers, batch, ctx, 'a'))),
      ),
    );
    teacher.dispose();
    student.dispose();
  });

  it("each task's fine-tuning KD distils from that task's own teacher, pre-training KD from the general one", () => {
    const general = Teacher.random(teacherConfig(2, 0), Prng.fromSeed(7));
    const two = Teacher.random(teacherConfig(2, 2), Prng.fromSeed(8));
    const three = Teacher.random(teacherConfig(2, 3), Prng.fromSeed(9));
    const asked: (string | undefined)[] = [];
    const teachers = {
      get general() {
        asked.push(undefined);
        return general;
      },
      forTask(task: string) {
        asked.push(task);
        return task === 'a' ? two : three;
      },
    };
    const student = StudentModel.supernet(
      STUDENT,
      [classificationHead('a', 2), classificationHead('c', 3)],
      Prng.fromSeed(10),
    );
    const arch = publishedArchitecture(STUDENT.layers);
    tf.tidy(() => {
      // A 3-class head against a 2-class teacher's logits would not broadcast: each must get its own.
      for (const task of [undefined, 'a', 'c'])
        assert.ok(Number.isFinite(value(kdStepLoss(student, arch, teachers, batch, ctx, task))));
      assert.throws(() => kdStepLoss(student, arch, singleTaskTeachers(two), batch, ctx, 'c'));
    });
    assert.deepEqual(asked, [undefined, 'a', 'c']);
    for (const t of [general, two, three]) t.dispose();
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
