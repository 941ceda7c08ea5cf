import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Prng } from '../../../efficientbert/core/prng';
import { quantizePerColumn, WEIGHT_CODE_MAX } from '../../../efficientbert/export/quantize';

describe('quantizePerColumn', () => {
  it('reconstructs every weight within half a step of its own column', () => {
    const rng = Prng.fromSeed(4);
    const rows = 7;
    const cols = 5;
    // Columns of very different magnitudes: a per-tensor scale would flatten the small ones.
    const kernel = Float32Array.from({ length: rows * cols }, (_, i) => rng.normal() * 10 ** -(i % cols));
    const { data, scales } = quantizePerColumn(kernel, rows, cols);
    for (let i = 0; i < kernel.length; i++) {
      const c = i % cols;
      assert.ok(Math.abs(data[i]! * scales[c]! - kernel[i]!) <= scales[c]! / 2 + 1e-12);
      assert.ok(data[i]! >= -WEIGHT_CODE_MAX && data[i]! <= WEIGHT_CODE_MAX);
    }
    // The largest |w| of each column maps to the largest code.
    for (let c = 0; c < cols; c++) {
      const codes = Array.from({ length: rows }, (_, r) => Math.abs(data[r * cols + c]!));
      assert.equal(Math.max(...codes), WEIGHT_CODE_MAX);
    }
  });

  it('gives an all-zero column a valid (non-zero) scale and zero codes', () => {
    const { data, scales } = quantizePerColumn(Float32Array.of(0, 1, 0, -2), 2, 2);
    assert.equal(scales[0], 1);
    assert.deepEqual([...data], [0, 31, 0, -63]);
  });

  it('keeps a pair of uint8 x code products within int16, where non-VNNI x86 kernels add them', () => {
    assert.ok(2 * 255 * WEIGHT_CODE_MAX <= 32767);
    assert.ok(2 * 255 * 127 > 32767, 'full 8-bit codes would saturate');
  });

  it('rejects a kernel of the wrong size', () => {
    assert.throws(() => quantizePerColumn(new Float32Array(5), 2, 3), /expected 2x3/);
  });
});
