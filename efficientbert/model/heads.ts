import type { StudentConfig } from '../space/presets';
import { headWeightShapes, type Shape } from '../space/weights';
import { type Dropout, dense } from './layers';
import type { Weights } from './params';
import * as tf from './tf';

/** A task head: `classes` outputs for classification, 1 for regression (e.g. STS-B). */
export interface TaskHead {
  readonly task: string;
  readonly kind: 'classification' | 'regression';
  readonly outputs: number;
}

export function classificationHead(task: string, classes: number): TaskHead {
  return { task, kind: 'classification', outputs: classes };
}

export function regressionHead(task: string): TaskHead {
  return { task, kind: 'regression', outputs: 1 };
}

/** Weight shapes of several named heads on one encoder (multi-task, spec §4.4(b)). */
export function headsWeightShapes(config: StudentConfig, heads: readonly TaskHead[]): Map<string, Shape> {
  const shapes = new Map<string, Shape>();
  for (const head of heads)
    for (const [k, v] of headWeightShapes(config, head.task, head.outputs)) shapes.set(k, v);
  return shapes;
}

/** The [CLS] (first) position of each sequence: [batch·seq, hidden] → [batch, hidden]. */
export function clsStates(sequence: tf.Tensor2D, batch: number, seq: number): tf.Tensor2D {
  const hidden = sequence.shape[1];
  return tf.reshape(tf.slice(tf.reshape(sequence, [batch, seq, hidden]), [0, 0, 0], [batch, 1, hidden]), [
    batch,
    hidden,
  ]);
}

/** BERT's head: tanh pooler on [CLS], dropout, then the classifier/regressor. Returns [batch, outputs]. */
export function headLogits(
  w: Weights,
  task: string,
  sequence: tf.Tensor2D,
  batch: number,
  seq: number,
  dropout: Dropout,
): tf.Tensor2D {
  const p = `heads.${task}`;
  const pooled = tf.tanh(
    dense(clsStates(sequence, batch, seq), w(`${p}.pooler.kernel`), w(`${p}.pooler.bias`)),
  );
  return dense(dropout(pooled) as tf.Tensor2D, w(`${p}.classifier.kernel`), w(`${p}.classifier.bias`));
}
