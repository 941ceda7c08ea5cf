/**
 * Distillation and supervised losses exactly as the reference `calc_distil_losses` (spec §3): every
 * term is a mean-reduced MSE and the terms are summed without weights.
 */
import type { EncoderOutput } from '../model/encoder-output';
import * as tf from '../model/tf';

/** Scores at or below this are padding (the −10000 mask) and are zeroed before comparing. */
export const MASKED_SCORE_THRESHOLD = -100;

export function mse(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.mean(tf.squaredDifference(a, b));
}

/**
 * Sets every score ≤ −100 (the masked ones) to 0, as the reference does before the MSE. Written
 * as a custom-gradient op because tfjs cannot differentiate through the comparison that builds
 * the mask; the gradient passes where the score was kept.
 */
export const zeroMaskedScores = tf.customGrad(((scores: tf.Tensor, save: tf.GradSaveFunc) => {
  const kept = tf.greater(scores, MASKED_SCORE_THRESHOLD);
  const keep = tf.cast(kept, 'float32');
  save([keep]);
  return {
    value: tf.where(kept, scores, tf.zerosLike(scores)),
    gradFunc: (dy: tf.Tensor, [savedKeep]: tf.Tensor[]) => [tf.mul(dy, savedKeep!)],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (scores: tf.Tensor) => tf.Tensor;

/**
 * Teacher layer (0-based index into `hidden`/`scores`) matched to each student layer: student layer
 * i (1-based) learns from teacher layer i·k, k = teacherLayers / studentLayers ("uniform
 * last-of-group", TinyBERT style).
 */
export function teacherLayerFor(studentLayer: number, studentLayers: number, teacherLayers: number): number {
  if (teacherLayers % studentLayers !== 0) {
    throw new Error(
      `teacher layers (${teacherLayers}) must be a multiple of student layers (${studentLayers})`,
    );
  }
  return (studentLayer + 1) * (teacherLayers / studentLayers) - 1;
}

/**
 * Σ over student layers of MSE(student scores, teacher scores) with masked entries zeroed. With
 * equal head counts the heads are compared one to one, as in the paper (both have 12). When the
 * counts differ there is no head-to-head correspondence, so both sides are averaged over heads
 * first (a documented extension; the reference code cannot run that case).
 */
export function attentionLoss(student: EncoderOutput, teacher: EncoderOutput): tf.Scalar {
  let total: tf.Scalar = tf.scalar(0);
  student.scores.forEach((s, i) => {
    const t = teacher.scores[teacherLayerFor(i, student.scores.length, teacher.scores.length)]!;
    const [ms, mt] = [zeroMaskedScores(s), zeroMaskedScores(t)];
    const term = s.shape[1] === t.shape[1] ? mse(ms, mt) : mse(tf.mean(ms, 1), tf.mean(mt, 1));
    total = tf.add(total, term);
  });
  return total;
}

/**
 * MSE(fit(student embedding), teacher embedding) + Σ over layers of
 * MSE(fit(student layer i), teacher layer i·k); `fit` is the student's fit_dense to teacher width.
 */
export function hiddenLoss(
  student: EncoderOutput,
  teacher: EncoderOutput,
  fit: (h: tf.Tensor2D) => tf.Tensor2D,
): tf.Scalar {
  let total = mse(fit(student.embedding), teacher.embedding);
  student.hidden.forEach((h, i) => {
    const t = teacher.hidden[teacherLayerFor(i, student.hidden.length, teacher.hidden.length)]!;
    total = tf.add(total, mse(fit(h), t));
  });
  return total;
}

/**
 * Soft cross-entropy −p_teacher·log p_student at temperature T, averaged over batch × classes
 * (the reference's `(-targets_prob * student_likelihood).mean()`, not summed over classes: the
 * gradient is 1/classes of the textbook form, which the learning rates of the paper assume).
 */
export function softCrossEntropy(
  studentLogits: tf.Tensor2D,
  teacherLogits: tf.Tensor2D,
  temperature = 1,
): tf.Scalar {
  const teacherProbs = tf.softmax(tf.div(teacherLogits, temperature));
  const studentLogProbs = tf.logSoftmax(tf.div(studentLogits, temperature));
  return tf.mean(tf.neg(tf.mul(teacherProbs, studentLogProbs)));
}

/** Regression (STS-B): MSE of the single output against the gold score. */
export function regressionLoss(predictions: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return mse(tf.reshape(predictions, [-1]), labels);
}

/** Cross-entropy with integer labels, averaged over the batch (supervised fine-tuning). */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const oneHot = tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1]);
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}

export interface KdLossTerms {
  readonly attention: tf.Scalar;
  readonly hidden: tf.Scalar;
  /** 0 for pre-training KD. */
  readonly prediction: tf.Scalar;
  readonly total: tf.Scalar;
}

/** Pre-training KD (spec §3): attention + hidden terms only, no labels, no logits. */
export function pretrainKdLoss(
  student: EncoderOutput,
  teacher: EncoderOutput,
  fit: (h: tf.Tensor2D) => tf.Tensor2D,
): KdLossTerms {
  const attention = attentionLoss(student, teacher);
  const hidden = hiddenLoss(student, teacher, fit);
  return { attention, hidden, prediction: tf.scalar(0), total: tf.add(attention, hidden) };
}

export type PredictionTarget =
  | { readonly kind: 'classification'; readonly teacherLogits: tf.Tensor2D; readonly temperature?: number }
  | { readonly kind: 'regression'; readonly labels: tf.Tensor1D };

/**
 * Fine-tuning KD (spec §3): 1·(attention + hidden) + 1·prediction, where prediction is the soft
 * cross-entropy against the teacher's logits (classification) or the MSE against gold (regression).
 */
export function finetuneKdLoss(
  student: EncoderOutput,
  teacher: EncoderOutput,
  fit: (h: tf.Tensor2D) => tf.Tensor2D,
  studentLogits: tf.Tensor2D,
  target: PredictionTarget,
): KdLossTerms {
  const { attention, hidden } = pretrainKdLoss(student, teacher, fit);
  const prediction =
    target.kind === 'classification'
      ? softCrossEntropy(studentLogits, target.teacherLogits, target.temperature)
      : regressionLoss(studentLogits, target.labels);
  return { attention, hidden, prediction, total: tf.add(tf.add(attention, hidden), prediction) };
}

/** Plain supervised loss (e.g. for fine-tuning the teacher itself). */
export function supervisedLoss(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  kind: 'classification' | 'regression',
): tf.Scalar {
  return kind === 'classification' ? crossEntropy(logits, labels) : regressionLoss(logits, labels);
}
