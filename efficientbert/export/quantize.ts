/**
 * Symmetric int8 weight quantization, one scale per output column of a [rows, cols] kernel
 * (y = x·W): W ≈ q · scale[col], q ∈ [−127, 127], zero point 0. Per-column scales keep a column
 * with small weights from losing all its resolution to one large column elsewhere.
 */
export interface QuantizedKernel {
  /** Row-major [rows, cols]. */
  readonly data: Int8Array;
  /** One scale per column. */
  readonly scales: Float32Array;
}

export function quantizePerColumn(kernel: Float32Array, rows: number, cols: number): QuantizedKernel {
  if (kernel.length !== rows * cols)
    throw new Error(`kernel has ${kernel.length} values, expected ${rows}x${cols}`);
  const maxAbs = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    for (let c = 0; c < cols; c++) maxAbs[c] = Math.max(maxAbs[c]!, Math.abs(kernel[row + c]!));
  }
  // An all-zero column gets scale 1: its codes are 0 either way and a zero scale is invalid ONNX.
  const scales = Float32Array.from(maxAbs, (m) => (m > 0 ? m / 127 : 1));
  const data = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    for (let c = 0; c < cols; c++) {
      data[row + c] = Math.max(-127, Math.min(127, Math.round(kernel[row + c]! / scales[c]!)));
    }
  }
  return { data, scales };
}
