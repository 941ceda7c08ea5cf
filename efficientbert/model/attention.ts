import { type Dropout, dense, layerNorm } from './layers';
import * as tf from './tf';

export interface DenseWeights {
  readonly kernel: tf.Tensor;
  readonly bias: tf.Tensor;
}

export interface AttentionWeights {
  readonly query: DenseWeights;
  readonly key: DenseWeights;
  readonly value: DenseWeights;
  readonly output: DenseWeights;
  readonly layerNorm: { readonly gamma: tf.Tensor; readonly beta: tf.Tensor };
}

export interface AttentionResult {
  /** LayerNorm(x + dropout(attention output)), [tokens, hidden]. */
  readonly output: tf.Tensor2D;
  /** Pre-softmax scores with the −10000 padding mask added, [batch, heads, seq, seq] (for KD). */
  readonly scores: tf.Tensor4D;
}

/**
 * The additive mask BERT adds to attention scores: 0 on real tokens, −10000 on padding, shaped
 * [batch, 1, 1, seq] to broadcast over heads and query positions.
 */
export function attentionMaskBias(attentionMask: tf.Tensor2D): tf.Tensor4D {
  const [b, l] = attentionMask.shape;
  return tf.reshape(tf.mul(tf.sub(1, tf.cast(attentionMask, 'float32')), -10000), [b, 1, 1, l]);
}

/**
 * Post-LN multi-head self-attention on x = [batch·seq, hidden]. Query, key and value run as one
 * fused [hidden, 3·hidden] matmul (one big matmul is much faster than three small ones on wasm)
 * and the 1/√d scaling is folded into the queries, which are smaller than the score matrix.
 */
export function multiHeadAttention(
  x: tf.Tensor2D,
  w: AttentionWeights,
  maskBias: tf.Tensor4D,
  heads: number,
  dropout: Dropout,
  eps?: number,
): AttentionResult {
  const [batch, , , seq] = maskBias.shape;
  const hidden = x.shape[1];
  const headSize = hidden / heads;
  const qkvKernel = tf.concat([w.query.kernel, w.key.kernel, w.value.kernel], 1);
  const qkvBias = tf.concat([w.query.bias, w.key.bias, w.value.bias], 0);
  const qkv = dense(x, qkvKernel, qkvBias);
  // [B, L, 3·heads, d] → [B, 3·heads, L, d]: 4-D transposes that keep d contiguous are fast on
  // wasm, while the 5-D one that would separate q/k/v directly is ~50x slower.
  const perHead = tf.transpose(tf.reshape(qkv, [batch, seq, 3 * heads, headSize]), [0, 2, 1, 3]);
  const [q, k, v] = tf.split(perHead, 3, 1).map((t) => tf.reshape(t, [batch * heads, seq, headSize])) as [
    tf.Tensor3D,
    tf.Tensor3D,
    tf.Tensor3D,
  ];
  // Batched matmuls always take tfjs-wasm's generic loop (XNNPACK serves only batch 1), where
  // transpose flags cost nothing, so the built-in gradient (which uses them) is kept here.
  const raw = tf.matMul(tf.mul(q, 1 / Math.sqrt(headSize)), k, false, true);
  const scores = tf.add(tf.reshape(raw, [batch, heads, seq, seq]), maskBias) as tf.Tensor4D;
  const probs = dropout(tf.softmax(scores)) as tf.Tensor4D;
  const context = tf.matMul(tf.reshape(probs, [batch * heads, seq, seq]), v);
  const merged = tf.reshape(tf.transpose(tf.reshape(context, [batch, heads, seq, headSize]), [0, 2, 1, 3]), [
    batch * seq,
    hidden,
  ]) as tf.Tensor2D;
  const projected = dropout(dense(merged, w.output.kernel, w.output.bias)) as tf.Tensor2D;
  const output = layerNorm(tf.add(x, projected) as tf.Tensor2D, w.layerNorm.gamma, w.layerNorm.beta, eps);
  return { output, scores };
}
