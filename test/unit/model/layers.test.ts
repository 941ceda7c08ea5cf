import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { applyUnary } from '../../../efficientbert/model/activations';
import { selectBackend } from '../../../efficientbert/model/backend';
import {
  dense,
  dropoutMask,
  embeddingLookup,
  geluErf,
  geluTanh,
  layerNorm,
  sumRows,
} from '../../../efficientbert/model/layers';
import * as tf from '../../../efficientbert/model/tf';
import { UNARY_OPS } from '../../../efficientbert/space/ast';

function assertClose(a: tf.Tensor, b: tf.Tensor, tol = 1e-4, what = '') {
  const x = a.dataSync();
  const y = b.dataSync();
  assert.equal(x.length, y.length, what);
  for (let i = 0; i < x.length; i++) {
    assert.ok(Math.abs(x[i]! - y[i]!) <= tol * (1 + Math.abs(y[i]!)), `${what}[${i}]: ${x[i]} vs ${y[i]}`);
  }
}

/** Compares a hand-written op and its gradients with tfjs autodiff of the textbook formula. */
function assertSameGradients(
  fast: (...xs: tf.Tensor[]) => tf.Tensor,
  reference: (...xs: tf.Tensor[]) => tf.Tensor,
  xs: tf.Tensor[],
) {
  tf.tidy(() => {
    const weight = tf.randomNormal(fast(...xs).shape, 0, 1, 'float32', 3);
    const g1 = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(fast(...a), weight)))(xs);
    const g2 = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(reference(...a), weight)))(xs);
    assertClose(fast(...xs), reference(...xs), 1e-4, 'value');
    g1.forEach((g, i) => {
      assertClose(g, g2[i]!, 1e-3, `grad ${i}`);
    });
  });
}

describe('layers with hand-written gradients', () => {
  before(async () => {
    await selectBackend('wasm', () => {});
  });
  const r = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

  it('dense matches x·W + b', () => {
    assertSameGradients(
      (x, w, b) => dense(x as tf.Tensor2D, w!, b!),
      (x, w, b) => tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b!),
      [r([6, 4], 1), r([4, 5], 2), r([5], 3)],
    );
  });

  it('layerNorm matches the textbook formula', () => {
    const reference = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const mean = tf.mean(x, -1, true);
      const variance = tf.mean(tf.square(tf.sub(x, mean)), -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-12))), g), b);
    };
    assertSameGradients(
      (x, g, b) => layerNorm(x as tf.Tensor2D, g!, b!),
      (x, g, b) => reference(x!, g!, b!),
      [r([5, 8], 1), r([8], 2), r([8], 3)],
    );
  });

  it('GELU (tanh and erf) match their formulas', () => {
    const c = Math.sqrt(2 / Math.PI);
    assertSameGradients(
      geluTanh,
      (x) =>
        tf.mul(tf.mul(x!, 0.5), tf.add(1, tf.tanh(tf.mul(tf.add(x!, tf.mul(tf.pow(x!, 3), 0.044715)), c)))),
      [r([4, 7], 1)],
    );
    assertSameGradients(
      geluErf,
      (x) => tf.mul(tf.mul(x!, 0.5), tf.add(1, tf.erf(tf.mul(x!, Math.SQRT1_2)))),
      [r([4, 7], 2)],
    );
  });

  it('the 7 activations follow the space definitions', () => {
    const x = tf.tensor1d([-2, -0.5, 0, 0.5, 2]);
    const expected: Record<string, (v: number) => number> = {
      gelu: (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
      sigmoid: (v) => 1 / (1 + Math.exp(-v)),
      tanh: Math.tanh,
      relu: (v) => Math.max(0, v),
      leaky_relu: (v) => (v > 0 ? v : 0.01 * v),
      elu: (v) => (v > 0 ? v : Math.exp(v) - 1),
      swish: (v) => v / (1 + Math.exp(-v)),
    };
    for (const op of UNARY_OPS) {
      const got = applyUnary(op, x).dataSync();
      [-2, -0.5, 0, 0.5, 2].forEach((v, i) => {
        assert.ok(Math.abs(got[i]! - expected[op]!(v)) < 1e-5, `${op}(${v})`);
      });
    }
  });

  it('embedding lookup scatters gradients back to the rows used, summing repeats', () => {
    const table = r([6, 3], 1);
    const ids = tf.tensor1d([1, 4, 1], 'int32');
    const [g] = tf.grads((t: tf.Tensor) => tf.sum(embeddingLookup(t, ids)))([table]);
    assert.deepEqual(g!.arraySync(), [
      [0, 0, 0],
      [2, 2, 2],
      [0, 0, 0],
      [0, 0, 0],
      [1, 1, 1],
      [0, 0, 0],
    ]);
  });

  it('sumRows sums over the first axis', () => {
    assertClose(sumRows(r([7, 3], 4) as tf.Tensor2D), tf.sum(r([7, 3], 4), 0), 1e-5);
  });
});

describe('seeded dropout', () => {
  it('draws the same mask for the same seed, keeps about 1 − rate, scales by 1/(1 − rate)', () => {
    const a = dropoutMask(10000, 0.1, 7);
    assert.deepEqual(a, dropoutMask(10000, 0.1, 7));
    assert.notDeepEqual(a, dropoutMask(10000, 0.1, 8));
    const kept = a.filter((v) => v !== 0);
    assert.ok(Math.abs(kept.length / 10000 - 0.9) < 0.02);
    assert.ok(kept.every((v) => Math.abs(v - 1 / 0.9) < 1e-6));
  });
});
