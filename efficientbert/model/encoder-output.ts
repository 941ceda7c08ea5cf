import type * as tf from './tf';

/** What an encoder (student or teacher) gives the distillation losses and task heads. */
export interface EncoderOutput {
  /** Embedding output, [batch·seq, hidden]. */
  readonly embedding: tf.Tensor2D;
  /** Every layer's output, [batch·seq, hidden] each. */
  readonly hidden: readonly tf.Tensor2D[];
  /** Every layer's pre-softmax attention scores (mask added), [batch, heads, seq, seq]. */
  readonly scores: readonly tf.Tensor4D[];
  readonly batchSize: number;
  readonly seqLen: number;
}
