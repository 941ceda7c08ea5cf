import { type TokenBatch, toEncoderInputs } from '../model/inputs';
import { noDropout } from '../model/layers';
import { fitDense } from '../model/student';
import type { StudentModel } from '../model/student-model';
import type { Teacher } from '../model/teacher';
import * as tf from '../model/tf';
import type { Architecture } from '../space/ast';
import { finetuneKdLoss, pretrainKdLoss, supervisedLoss } from './losses';
import type { TeacherSet } from './teacher-set';
import type { StepContext } from './trainer';

export interface LabeledBatch extends TokenBatch {
  readonly labels: Int32Array | Float32Array | null;
}

/**
 * The loss of one distillation step for `arch` (a supernet view or a candidate's own weights).
 * The teacher runs in inference mode (no dropout); gradients reach only the student because the
 * trainer differentiates with respect to the student's variables. `task` selects the student head
 * and the task's own teacher for fine-tuning KD; without it the step is pre-training KD (attention +
 * hidden only) from the general teacher.
 */
export function kdStepLoss(
  student: StudentModel,
  arch: Architecture,
  teachers: TeacherSet,
  batch: LabeledBatch,
  ctx: StepContext,
  task?: string,
): tf.Scalar {
  const teacher = task === undefined ? teachers.general : teachers.forTask(task);
  const inputs = toEncoderInputs(batch);
  const teacherOut = teacher.forward(inputs, noDropout);
  const w = student.weightsFor(arch);
  const studentOut = student.forward(arch, inputs, ctx.dropout, w);
  const fit = (h: tf.Tensor2D) => fitDense(w, h);
  if (task === undefined) return pretrainKdLoss(studentOut, teacherOut, fit).total;
  const logits = student.logits(task, studentOut, ctx.dropout);
  if (student.head(task).kind === 'regression') {
    return finetuneKdLoss(studentOut, teacherOut, fit, logits, {
      kind: 'regression',
      labels: labelTensor(batch),
    }).total;
  }
  if (!teacherOut.logits) throw new Error('fine-tuning KD needs a teacher with a classification head');
  return finetuneKdLoss(studentOut, teacherOut, fit, logits, {
    kind: 'classification',
    teacherLogits: teacherOut.logits,
  }).total;
}

/** Supervised fine-tuning of the teacher itself (cross-entropy, or MSE for regression). */
export function teacherSupervisedLoss(teacher: Teacher, batch: LabeledBatch, ctx: StepContext): tf.Scalar {
  const out = teacher.forward(toEncoderInputs(batch), ctx.dropout);
  if (!out.logits) throw new Error('supervised training needs a teacher with a task head (numLabels > 0)');
  return supervisedLoss(
    out.logits,
    labelTensor(batch),
    teacher.config.numLabels === 1 ? 'regression' : 'classification',
  );
}

/** Supervised fine-tuning of a student head (no teacher). */
export function studentSupervisedLoss(
  student: StudentModel,
  arch: Architecture,
  task: string,
  batch: LabeledBatch,
  ctx: StepContext,
): tf.Scalar {
  const out = student.forward(arch, toEncoderInputs(batch), ctx.dropout);
  return supervisedLoss(student.logits(task, out, ctx.dropout), labelTensor(batch), student.head(task).kind);
}

function labelTensor(batch: LabeledBatch): tf.Tensor1D {
  if (!batch.labels) throw new Error('this loss needs labels and the batch has none');
  return tf.tensor1d(Float32Array.from(batch.labels), 'float32');
}
