import { toEncoderInputs } from '../model/inputs';
import * as tf from '../model/tf';
import type { LabeledBatch } from './kd-step';

/**
 * Runs `logits` (an inference-mode forward) over batches and collects predictions: the argmax class
 * for classification, the single output for regression, alongside the gold labels.
 */
export function collectPredictions(
  batches: Iterable<LabeledBatch>,
  logits: (inputs: ReturnType<typeof toEncoderInputs>) => tf.Tensor2D,
): { predictions: Float32Array; labels: Float32Array } {
  const predictions: number[] = [];
  const labels: number[] = [];
  for (const batch of batches) {
    const out = tf.tidy(() => {
      const l = logits(toEncoderInputs(batch));
      return l.shape[1] === 1 ? tf.reshape(l, [-1]) : tf.cast(tf.argMax(l, 1), 'float32');
    });
    predictions.push(...(out.dataSync() as Float32Array));
    out.dispose();
    if (batch.labels) labels.push(...batch.labels);
  }
  return { predictions: Float32Array.from(predictions), labels: Float32Array.from(labels) };
}
