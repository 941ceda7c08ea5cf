/**
 * The few building blocks every encoder uses, written for speed on the wasm backend: 2-D
 * activations [tokens, width], fused matmul+bias, and hand-written gradients for LayerNorm, GELU
 * and the embedding lookup, which tfjs would otherwise differentiate op by op (or, for the lookup,
 * not at all on wasm: its UnsortedSegmentSum kernel is missing there).
 */
import * as tf from './tf';

type GradientRule = (
  inputs: tf.Tensor[],
  save: tf.GradSaveFunc,
) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] };

/** tf.customGrad with the inputs as an array (its own typing mixes inputs and `save`). */
function withGradient(rule: GradientRule): (...inputs: tf.Tensor[]) => tf.Tensor {
  const op = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    return rule(args as tf.Tensor[], save);
  }) as Parameters<typeof tf.customGrad>[0]);
  return (...inputs) => op(...inputs);
}

/**
 * y = x·W + b with W stored [in, out]. The backward pass transposes explicitly and then runs
 * plain matmuls: on wasm a matmul with a transpose flag set is 10-20x slower than a transpose
 * followed by a plain matmul (measured on [2048,512]x[512,512]: 1.4 vs 33 GFLOP/s).
 */
export function dense(x: tf.Tensor2D, kernel: tf.Tensor, bias: tf.Tensor): tf.Tensor2D {
  return denseOp(x, kernel, bias) as tf.Tensor2D;
}

const denseOp = withGradient(([x, w, b], save) => {
  save([x!, w!]);
  return {
    value: tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: b }),
    gradFunc: (dy, [sx, sw]) => [
      tf.matMul(dy as tf.Tensor2D, tf.transpose(sw!)),
      tf.matMul(tf.transpose(sx!), dy as tf.Tensor2D),
      sumRows(dy as tf.Tensor2D),
    ],
  };
});

export const LAYER_NORM_EPS = 1e-12;

/** LayerNorm over the last axis with an analytic backward pass (one fused formula, few ops). */
export function layerNorm(
  x: tf.Tensor2D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  eps: number = LAYER_NORM_EPS,
): tf.Tensor2D {
  let op = layerNormOps.get(eps);
  if (!op) layerNormOps.set(eps, (op = layerNormWithEps(eps)));
  return op(x, gamma, beta) as tf.Tensor2D;
}

const layerNormOps = new Map<number, (...inputs: tf.Tensor[]) => tf.Tensor>();

function layerNormWithEps(eps: number): (...inputs: tf.Tensor[]) => tf.Tensor {
  return withGradient(([xIn, g, b], save) => {
    const mean = tf.mean(xIn!, -1, true);
    const centered = tf.sub(xIn!, mean);
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), eps));
    const xhat = tf.mul(centered, rstd);
    save([xhat, rstd, g!]);
    return {
      value: tf.add(tf.mul(xhat, g!), b!),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sxhat, srstd, sg] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const dxhat = tf.mul(dy, sg);
        // dx = rstd · (dxhat − mean(dxhat) − xhat · mean(dxhat · xhat))
        const meanD = tf.mean(dxhat, -1, true);
        const meanDX = tf.mean(tf.mul(dxhat, sxhat), -1, true);
        const dx = tf.mul(srstd, tf.sub(tf.sub(dxhat, meanD), tf.mul(sxhat, meanDX)));
        return [dx, sumRows(tf.mul(dy, sxhat) as tf.Tensor2D), sumRows(dy as tf.Tensor2D)];
      },
    };
  });
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * Σ over rows of a [rows, cols] tensor, as ones[1, rows]·x: a reduction over axis 0 makes tfjs
 * transpose first, which on wasm is ~30x slower than this matmul.
 */
export function sumRows(x: tf.Tensor2D): tf.Tensor1D {
  return tf.reshape(tf.matMul(tf.ones([1, x.shape[0]]), x), [x.shape[1]]);
}

/** tanh(x) = 2σ(2x) − 1: the wasm Sigmoid kernel is ~6x faster than its Tanh. */
export function fastTanh(x: tf.Tensor): tf.Tensor {
  return tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1);
}

/**
 * GELU, tanh approximation (the search space's `gelu`, and HF "gelu_new"), written as
 * x·σ(2z) with z = √(2/π)(x + 0.044715x³), which equals 0.5x(1 + tanh z) and is cheaper on wasm.
 */
export const geluTanh = withGradient(([x], save) => {
  const x2 = tf.square(x!);
  const s = tf.sigmoid(tf.mul(tf.mul(x!, tf.add(tf.mul(x2, 0.044715), 1)), 2 * SQRT_2_OVER_PI));
  save([x!, s]);
  return {
    value: tf.mul(x!, s),
    gradFunc: (dy, [sx, ss]) => {
      // d/dx = s + x·s(1−s)·2·√(2/π)(1 + 3·0.044715x²)
      const dz = tf.mul(tf.add(tf.mul(tf.square(sx!), 3 * 0.044715), 1), 2 * SQRT_2_OVER_PI);
      const grad = tf.add(ss!, tf.mul(tf.mul(sx!, tf.mul(ss!, tf.sub(1, ss!))), dz));
      return [tf.mul(dy, grad)];
    },
  };
});

const INV_SQRT_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** GELU with the exact erf (BERT's "gelu"). */
export const geluErf = withGradient(([x], save) => {
  const cdf = tf.mul(tf.add(tf.erf(tf.mul(x, INV_SQRT_2)), 1), 0.5);
  save([x, cdf]);
  return {
    value: tf.mul(x, cdf),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, scdf] = saved as [tf.Tensor, tf.Tensor];
      const pdf = tf.mul(tf.exp(tf.mul(tf.square(sx), -0.5)), INV_SQRT_2PI);
      return [tf.mul(dy, tf.add(scdf, tf.mul(sx, pdf)))];
    },
  };
});

/**
 * Rows of `table` for flat `ids` → [ids.length, width]. Its gradient is a scatter-add of the
 * incoming rows (ScatterNd sums duplicates), which is both available on wasm and far cheaper
 * than differentiating a one-hot product.
 */
export function embeddingLookup(table: tf.Tensor, ids: tf.Tensor1D): tf.Tensor2D {
  const op = withGradient(([t], save) => {
    // Tensors a gradient needs must go through save(): the engine disposes everything else the
    // forward pass created, including closure captures.
    save([ids]);
    return {
      value: tf.gather(t!, ids),
      gradFunc: (dy, [savedIds]) => [tf.scatterND(tf.reshape(savedIds!, [-1, 1]), dy, t!.shape)],
    };
  });
  return op(table) as tf.Tensor2D;
}

/** Applies dropout (training) or nothing (inference); each call uses a fresh, seeded mask. */
export type Dropout = (x: tf.Tensor) => tf.Tensor;

export const noDropout: Dropout = (x) => x;

/**
 * Dropout whose masks come from `nextSeed` (derived from the run's Prng), never from
 * Math.random, so that a seeded run reproduces bit for bit. The mask is drawn in JS with an
 * integer xorshift and an integer threshold, which is cheaper than tfjs's own dropout (uniform
 * draws plus four elementwise kernels); its gradient is dy·mask through the multiply.
 */
export function seededDropout(rate: number, nextSeed: () => number): Dropout {
  if (rate <= 0) return noDropout;
  return (x) => tf.mul(x, tf.tensor(dropoutMask(x.size, rate, nextSeed()), x.shape, 'float32'));
}

/** n values, each 0 with probability `rate` and 1/(1 − rate) otherwise (inverted dropout). */
export function dropoutMask(n: number, rate: number, seed: number): Float32Array {
  const mask = new Float32Array(n);
  const keep = 1 / (1 - rate);
  const threshold = Math.floor(rate * 4294967296);
  let s = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    mask[i] = s >>> 0 >= threshold ? keep : 0;
  }
  return mask;
}
