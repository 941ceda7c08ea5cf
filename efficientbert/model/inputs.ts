import * as tf from './tf';

/** The token-level inputs of one batch as tensors, [batch, seq] each. */
export interface EncoderInputs {
  readonly inputIds: tf.Tensor2D;
  readonly tokenTypeIds: tf.Tensor2D;
  /** 1 for real tokens, 0 for padding (float32). */
  readonly attentionMask: tf.Tensor2D;
}

/** The fields of efficientbert/data's batch type that the encoders read. */
export interface TokenBatch {
  readonly inputIds: Int32Array;
  readonly tokenTypeIds: Int32Array;
  readonly attentionMask: Int32Array | Float32Array;
  readonly batchSize: number;
  readonly seqLen: number;
}

export function toEncoderInputs(batch: TokenBatch): EncoderInputs {
  const shape: [number, number] = [batch.batchSize, batch.seqLen];
  return {
    inputIds: tf.tensor2d(batch.inputIds, shape, 'int32'),
    tokenTypeIds: tf.tensor2d(batch.tokenTypeIds, shape, 'int32'),
    attentionMask: tf.tensor2d(Float32Array.from(batch.attentionMask), shape, 'float32'),
  };
}

/** Position ids 0..seq-1 repeated per example, flat [batch·seq]. */
export function positionIds(batch: number, seq: number): tf.Tensor1D {
  const ids = new Int32Array(batch * seq);
  for (let i = 0; i < ids.length; i++) ids[i] = i % seq;
  return tf.tensor1d(ids, 'int32');
}
