/**
 * Symmetric weight quantization, one scale per output column of a [rows, cols] kernel
 * (y = x·W): W ≈ q · scale[col], q ∈ [−WEIGHT_CODE_MAX, WEIGHT_CODE_MAX], zero point 0. Per-column
 * scales keep a column with small weights from losing all its resolution to one large column
 * elsewhere.
 */

/**
 * 7-bit codes in int8 storage (ONNX Runtime's `reduce_range`). On x86 CPUs without VNNI (AVX2 and
 * plain AVX-512: most AMD EPYC before Zen 4, older Xeons) ONNX Runtime's u8·s8 kernels add pairs of
 * products in int16 (VPMADDUBSW), which saturates once 2·255·|q| exceeds 32767: with full 8-bit
 * codes the served logits moved by 0.065 on such a CPU. With |q| ≤ 63 the pair sum stays below
 * 32767 on every CPU, for one bit of weight resolution.
 */
export const WEIGHT_CODE_MAX = 63;
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
  const scales = Float32Array.from(maxAbs, (m) => (m > 0 ? m / WEIGHT_CODE_MAX : 1));
  const data = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    for (let c = 0; c < cols; c++) {
      data[row + c] = Math.max(
        -WEIGHT_CODE_MAX,
        Math.min(WEIGHT_CODE_MAX, Math.round(kernel[row + c]! / scales[c]!)),
      );
    }
  }
  return { data, scales };
}
