import type { BinaryOp, LayerArch, LinearSlot, UnaryOp } from '../space/ast';
import { type ExprBackend, interpret } from '../space/interpret';
import { applyBinary, applyUnary } from './activations';
import type { DenseWeights } from './attention';
import { type Dropout, dense, layerNorm } from './layers';
import type { Weights } from './params';
import * as tf from './tf';

/**
 * Evaluates FFN expressions on 2-D tfjs tensors [tokens, width]; `wb1`/`wb2` are one block's
 * dense1 (H→I) and dense2 (I→H).
 */
export class TfExprBackend implements ExprBackend<tf.Tensor2D> {
  constructor(private readonly linears: Readonly<Record<LinearSlot, DenseWeights>>) {}

  width(t: tf.Tensor2D): number {
    return t.shape[1];
  }

  unary(op: UnaryOp, t: tf.Tensor2D): tf.Tensor2D {
    return applyUnary(op, t) as tf.Tensor2D;
  }

  binary(op: BinaryOp, a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
    return applyBinary(op, a, b) as tf.Tensor2D;
  }

  sliceWidth(t: tf.Tensor2D, width: number): tf.Tensor2D {
    return tf.slice(t, [0, 0], [-1, width]);
  }

  linear(slot: LinearSlot, t: tf.Tensor2D): tf.Tensor2D {
    const { kernel, bias } = this.linears[slot];
    if (kernel.shape[0] !== t.shape[1]) {
      throw new Error(`${slot} expects input width ${kernel.shape[0]}, got ${t.shape[1]}`);
    }
    return dense(t, kernel, bias);
  }
}

/**
 * One student layer's FFN part (spec §1.3): the first `stack` blocks, each
 * h ← LayerNorm(h + dropout(expr(h))) with that block's own weights.
 */
export function ffnLayer(
  h: tf.Tensor2D,
  w: Weights,
  layer: number,
  arch: LayerArch,
  dropout: Dropout,
): tf.Tensor2D {
  let out = h;
  for (let b = 0; b < arch.stack; b++) {
    const p = `encoder.${layer}.ffn.${b}`;
    const backend = new TfExprBackend({
      wb1: { kernel: w(`${p}.dense1.kernel`), bias: w(`${p}.dense1.bias`) },
      wb2: { kernel: w(`${p}.dense2.kernel`), bias: w(`${p}.dense2.bias`) },
    });
    const y = interpret(arch.expr, out, backend);
    if (y.shape[1] !== out.shape[1]) {
      throw new Error(
        `layer ${layer} block ${b}: expression output width ${y.shape[1]} ≠ hidden ${out.shape[1]}`,
      );
    }
    out = layerNorm(
      tf.add(out, dropout(y)) as tf.Tensor2D,
      w(`${p}.layer_norm.gamma`),
      w(`${p}.layer_norm.beta`),
    );
  }
  return out;
}
