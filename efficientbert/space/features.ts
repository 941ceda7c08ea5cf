import { type Architecture, BINARY_OPS, type Expr, type LayerArch, UNARY_OPS } from './ast';
import { GENERIC_LINEAR, LINEAR_NAMES, linearIndex, linearName } from './linear-names';

/**
 * Fixed-length integer features for the LaNAS classifiers (spec §1.2 "Classifier features").
 *
 * Stages 1-2: each layer's tree in prefix order (a node, then its arguments; a linear's slot
 * terminal after its input, as DEAP lists it) as PRIMITIVE_INDEX values, padded with −1 to
 * `padLength` tokens, layers concatenated. A tree longer than `padLength` keeps its first
 * `padLength` tokens: prefix order puts the top of the tree first, and every vector keeps the same
 * length. Stage 3: one linear index (0-15) per layer.
 */
export const DEFAULT_PAD_LENGTH = 20;
export const PAD = -1;

/** Token → index: terminals, binary ops, activations, generic `linear`, then the 16 `linearX_Y`. */
export const PRIMITIVE_INDEX: Readonly<Record<string, number>> = Object.fromEntries(
  ['x', 'wb1', 'wb2', ...BINARY_OPS, ...UNARY_OPS, GENERIC_LINEAR, ...LINEAR_NAMES].map((name, i) => [
    name,
    i,
  ]),
);

export interface FeatureOptions {
  readonly padLength?: number;
  /** Write linears as generic `linear` (stage 2, sizes frozen) instead of `linearX_Y`. */
  readonly genericLinear?: boolean;
}

function prefixTokens(expr: Expr, linear: string): string[] {
  switch (expr.kind) {
    case 'x':
      return ['x'];
    case 'unary':
      return [expr.op, ...prefixTokens(expr.arg, linear)];
    case 'binary':
      return [expr.op, ...prefixTokens(expr.left, linear), ...prefixTokens(expr.right, linear)];
    case 'linear':
      return [linear, ...prefixTokens(expr.arg, linear), expr.slot];
  }
}

export function layerFeatures(layer: LayerArch, options: FeatureOptions = {}): number[] {
  const padLength = options.padLength ?? DEFAULT_PAD_LENGTH;
  const linear = options.genericLinear ? GENERIC_LINEAR : linearName(layer);
  const ids = prefixTokens(layer.expr, linear)
    .slice(0, padLength)
    .map((t) => PRIMITIVE_INDEX[t]!);
  return [...ids, ...new Array<number>(padLength - ids.length).fill(PAD)];
}

/** Stages 1-2: layers × padLength integers. */
export function architectureFeatures(arch: Architecture, options: FeatureOptions = {}): number[] {
  return arch.layers.flatMap((l) => layerFeatures(l, options));
}

/** Stage 3: each layer's linear index (0-15). */
export function sizeFeatures(arch: Architecture): number[] {
  return arch.layers.map(linearIndex);
}
