/**
 * An FFN expression as a scalar function, to plot its non-linearity as the paper's figure does.
 * The layer runs on a one-channel model (H = I = 1) with W1 = W2 = [1] and zero biases, through the
 * very interpreter and activations training uses (interpret + MatrixBackend), so the curve is the
 * expression's shape and nothing else: the plain FFN W2·gelu(W1·x) gives gelu(x) exactly. Each
 * input x is one row of an n×1 matrix, so one interpret() call evaluates the whole curve. This is
 * one block of the layer, before dropout, the residual add and LayerNorm; stacking repeats it.
 */
import type { Expr } from '../../efficientbert/space/ast';
import { interpret } from '../../efficientbert/space/interpret';
import { type LinearWeights, MatrixBackend, matrix } from '../../efficientbert/space/matrix-backend';

export interface CurvePoint {
  readonly x: number;
  readonly y: number;
}

/** The paper's plotting range. */
export const CURVE_RANGE: readonly [number, number] = [-4, 4];

const IDENTITY: LinearWeights = { kernel: matrix(1, 1, Float32Array.of(1)), bias: Float32Array.of(0) };
const SCALAR_BACKEND = new MatrixBackend({ wb1: IDENTITY, wb2: IDENTITY });

/** `points` evenly spaced samples of the expression over `range`, ends included. */
export function ffnCurve(expr: Expr, points = 161, range = CURVE_RANGE): CurvePoint[] {
  const [lo, hi] = range;
  const xs = Array.from({ length: points }, (_, i) => lo + ((hi - lo) * i) / (points - 1));
  const out = interpret(expr, matrix(points, 1, Float32Array.from(xs)), SCALAR_BACKEND);
  // Float32 inputs: report the exact grid x, the evaluated y.
  return xs.map((x, i) => ({ x, y: out.data[i]! }));
}
