import type { Architecture } from '../space/ast';
import type { StudentConfig } from '../space/presets';
import type { AttentionWeights } from './attention';
import { attentionMaskBias, multiHeadAttention } from './attention';
import type { EncoderOutput } from './encoder-output';
import { ffnLayer } from './ffn';
import { type EncoderInputs, positionIds } from './inputs';
import { type Dropout, dense, embeddingLookup, layerNorm } from './layers';
import type { Weights } from './params';
import * as tf from './tf';

/**
 * MobileBERT-style embedding (spec §2): token embeddings of width `embed`, the trigram
 * [e(t+1), e(t), e(t−1)] (zeros past the ends) projected to hidden, plus position and token-type
 * embeddings, then LayerNorm and dropout. Returns [batch·seq, hidden].
 */
export function studentEmbedding(w: Weights, inputs: EncoderInputs, dropout: Dropout): tf.Tensor2D {
  const [batch, seq] = inputs.inputIds.shape;
  const table = w('embeddings.word_embeddings');
  const embed = table.shape[1]!;
  // Padded positions count as zeros, like the positions past the sequence ends: otherwise a text's
  // last token would see the [PAD] embedding as its t+1 neighbour, and its answer would depend on
  // what it was batched with.
  const tokens = tf.mul(
    tf.reshape(embeddingLookup(table, tf.reshape(inputs.inputIds, [-1])), [batch, seq, embed]),
    tf.reshape(inputs.attentionMask, [batch, seq, 1]),
  ) as tf.Tensor3D;
  const padded = tf.pad(tokens, [
    [0, 0],
    [1, 1],
    [0, 0],
  ]);
  const next = tf.slice(padded, [0, 2, 0], [batch, seq, embed]);
  const prev = tf.slice(padded, [0, 0, 0], [batch, seq, embed]);
  const trigram = tf.reshape(tf.concat([next, tokens, prev], 2), [batch * seq, 3 * embed]);
  const projected = dense(
    trigram as tf.Tensor2D,
    w('embeddings.trigram.kernel'),
    w('embeddings.trigram.bias'),
  );
  const positions = embeddingLookup(w('embeddings.position_embeddings'), positionIds(batch, seq));
  const types = embeddingLookup(w('embeddings.token_type_embeddings'), tf.reshape(inputs.tokenTypeIds, [-1]));
  const sum = tf.add(tf.add(projected, positions), types) as tf.Tensor2D;
  return dropout(
    layerNorm(sum, w('embeddings.layer_norm.gamma'), w('embeddings.layer_norm.beta')),
  ) as tf.Tensor2D;
}

export function studentAttentionWeights(w: Weights, layer: number): AttentionWeights {
  const p = `encoder.${layer}.attention`;
  const d = (m: string) => ({ kernel: w(`${p}.${m}.kernel`), bias: w(`${p}.${m}.bias`) });
  return {
    query: d('query'),
    key: d('key'),
    value: d('value'),
    output: d('output'),
    layerNorm: { gamma: w(`${p}.layer_norm.gamma`), beta: w(`${p}.layer_norm.beta`) },
  };
}

/**
 * The student encoder: embedding, then per layer post-LN attention followed by the layer's
 * stacked searched FFN blocks. `w` names weights as studentWeightShapes(config, arch) does; pass a
 * candidateView of a supernet to run a sub-network on shared weights.
 */
export function studentEncoder(
  w: Weights,
  config: StudentConfig,
  arch: Architecture,
  inputs: EncoderInputs,
  dropout: Dropout,
): EncoderOutput {
  if (arch.layers.length !== config.layers) {
    throw new Error(`architecture has ${arch.layers.length} layers, config expects ${config.layers}`);
  }
  const [batchSize, seqLen] = inputs.inputIds.shape;
  const embedding = studentEmbedding(w, inputs, dropout);
  const maskBias = attentionMaskBias(inputs.attentionMask);
  const hidden: tf.Tensor2D[] = [];
  const scores: tf.Tensor4D[] = [];
  let h = embedding;
  arch.layers.forEach((layerArch, l) => {
    const att = multiHeadAttention(h, studentAttentionWeights(w, l), maskBias, config.heads, dropout);
    h = ffnLayer(att.output, w, l, layerArch, dropout);
    hidden.push(h);
    scores.push(att.scores);
  });
  return { embedding, hidden, scores, batchSize, seqLen };
}

/** Maps student states to the teacher width for the hidden-state KD terms. */
export function fitDense(w: Weights, h: tf.Tensor2D): tf.Tensor2D {
  return dense(h, w('fit_dense.kernel'), w('fit_dense.bias'));
}
