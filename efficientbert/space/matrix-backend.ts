import type { BinaryOp, LinearSlot, UnaryOp } from './ast';
import type { ExprBackend } from './interpret';

/** A row-major float32 matrix [rows, cols]: a batch of row vectors. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float32Array;
}

export interface LinearWeights {
  /** [in, out]: y = x·W + b. */
  readonly kernel: Matrix;
  readonly bias: Float32Array;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
const GELU_C = Math.sqrt(2 / Math.PI);

/** The 7 activations exactly as the reference defines them (spec §1.1). */
export const ACTIVATIONS: Readonly<Record<UnaryOp, (v: number) => number>> = {
  gelu: (v) => 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v * v * v))),
  sigmoid,
  tanh: Math.tanh,
  relu: (v) => Math.max(v, 0),
  leaky_relu: (v) => (v > 0 ? v : 0.01 * v),
  elu: (v) => (v > 0 ? v : Math.exp(v) - 1),
  swish: (v) => v * sigmoid(v),
};

const BINARY: Readonly<Record<BinaryOp, (a: number, b: number) => number>> = {
  add: (a, b) => a + b,
  mul: (a, b) => a * b,
  max: Math.max,
};

export function matrix(
  rows: number,
  cols: number,
  data: Float32Array = new Float32Array(rows * cols),
): Matrix {
  if (data.length !== rows * cols) throw new RangeError(`${data.length} values for a ${rows}×${cols} matrix`);
  return { rows, cols, data };
}

/** Evaluates expressions on plain matrices (no tfjs), for the functional duplicate check. */
export class MatrixBackend implements ExprBackend<Matrix> {
  constructor(private readonly linears: Readonly<Record<LinearSlot, LinearWeights>>) {}

  width(t: Matrix): number {
    return t.cols;
  }

  unary(op: UnaryOp, t: Matrix): Matrix {
    return matrix(t.rows, t.cols, t.data.map(ACTIVATIONS[op]));
  }

  binary(op: BinaryOp, a: Matrix, b: Matrix): Matrix {
    const f = BINARY[op];
    return matrix(
      a.rows,
      a.cols,
      a.data.map((v, i) => f(v, b.data[i]!)),
    );
  }

  sliceWidth(t: Matrix, width: number): Matrix {
    const out = new Float32Array(t.rows * width);
    for (let r = 0; r < t.rows; r++) out.set(t.data.subarray(r * t.cols, r * t.cols + width), r * width);
    return matrix(t.rows, width, out);
  }

  linear(slot: LinearSlot, t: Matrix): Matrix {
    const { kernel, bias } = this.linears[slot];
    if (kernel.rows !== t.cols)
      throw new RangeError(`${slot} expects input width ${kernel.rows}, got ${t.cols}`);
    const n = kernel.cols;
    const out = new Float32Array(t.rows * n);
    for (let r = 0; r < t.rows; r++) {
      const row = out.subarray(r * n, (r + 1) * n);
      row.set(bias);
      for (let k = 0; k < t.cols; k++) {
        const v = t.data[r * t.cols + k]!;
        const w = kernel.data.subarray(k * n, (k + 1) * n);
        for (let j = 0; j < n; j++) row[j]! += v * w[j]!;
      }
    }
    return matrix(t.rows, n, out);
  }
}
