import type { GraphBuilder } from './graph-builder';

export interface NormParams {
  /** Initializer names are `${name}.gamma` / `${name}.beta`. */
  readonly name: string;
  readonly gamma: Float32Array;
  readonly beta: Float32Array;
  readonly eps: number;
}

/** LayerNormalization (opset 17) over the last axis. */
export function emitLayerNorm(b: GraphBuilder, x: string, p: NormParams): string {
  const [gamma, beta] = normInits(b, p);
  return b.node(
    'LayerNormalization',
    [x, gamma, beta],
    { axis: { int: -1 }, epsilon: { float: p.eps } },
    {
      name: `${p.name}.out`,
    },
  );
}

/**
 * The post-LN residual LayerNorm(residual + x). Fused graphs use this too: com.microsoft
 * SkipLayerNormalization was measured slower than Add + LayerNormalization on the CPU provider
 * (whole fused paper-preset model, batch 1, seq 128, ORT 1.30 on a Xeon host, p50: 2 threads
 * 30.0 vs 26.8 ms, 8 threads 12.5 vs 11.8 ms; int8 16.8 vs 13.4 and 8.6 vs 8.4 ms), so it is not emitted.
 */
export function emitResidualNorm(b: GraphBuilder, x: string, residual: string, p: NormParams): string {
  return emitLayerNorm(b, b.node('Add', [x, residual]), p);
}

function normInits(b: GraphBuilder, p: NormParams): [string, string] {
  return [
    b.floatInit(`${p.name}.gamma`, [p.gamma.length], p.gamma),
    b.floatInit(`${p.name}.beta`, [p.beta.length], p.beta),
  ];
}
