import type { UnaryOp } from '../space/ast';
import { type GraphBuilder, MS_DOMAIN } from './graph-builder';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * The search space's activations (spec §1.1) as ONNX nodes. Fused graphs use com.microsoft
 * FastGelu (the same tanh approximation) and QuickGelu with alpha 1, which is exactly swish
 * x·σ(x); plain graphs build both from primitives.
 */
export function emitUnary(b: GraphBuilder, op: UnaryOp, x: string, fused: boolean): string {
  switch (op) {
    case 'gelu':
      return fused ? b.node('FastGelu', [x], {}, { domain: MS_DOMAIN }) : geluTanh(b, x);
    case 'sigmoid':
      return b.node('Sigmoid', [x]);
    case 'tanh':
      return b.node('Tanh', [x]);
    case 'relu':
      return b.node('Relu', [x]);
    case 'leaky_relu':
      return b.node('LeakyRelu', [x], { alpha: { float: 0.01 } });
    case 'elu':
      return b.node('Elu', [x], { alpha: { float: 1 } });
    case 'swish':
      return fused
        ? b.node('QuickGelu', [x], { alpha: { float: 1 } }, { domain: MS_DOMAIN })
        : b.node('Mul', [x, b.node('Sigmoid', [x])], {}, { name: 'swish' });
  }
}

/** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
function geluTanh(b: GraphBuilder, x: string): string {
  const x2 = b.node('Mul', [x, x]);
  const poly = b.node('Add', [b.node('Mul', [x2, b.float(0.044715)]), b.float(1)]);
  const z = b.node('Mul', [b.node('Mul', [x, poly]), b.float(SQRT_2_OVER_PI)]);
  const t = b.node('Tanh', [z]);
  return b.node(
    'Mul',
    [b.node('Mul', [x, b.float(0.5)]), b.node('Add', [t, b.float(1)])],
    {},
    { name: 'gelu' },
  );
}

/**
 * BERT's exact GELU on x + bias: com.microsoft BiasGelu when fused, else 0.5·(x+b)·(1 + erf((x+b)/√2)).
 */
export function emitBiasGeluErf(b: GraphBuilder, x: string, bias: string, fused: boolean): string {
  if (fused) return b.node('BiasGelu', [x, bias], {}, { domain: MS_DOMAIN });
  const y = b.node('Add', [x, bias]);
  const cdf = b.node('Add', [b.node('Erf', [b.node('Mul', [y, b.float(Math.SQRT1_2)])]), b.float(1)]);
  return b.node('Mul', [b.node('Mul', [y, b.float(0.5)]), cdf], {}, { name: 'gelu' });
}
