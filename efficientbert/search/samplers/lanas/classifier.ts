/**
 * The binary classifier of a LaNAS node: does a feature vector fall on the "good" side of the
 * node's median split?
 *
 * Why L2-regularised logistic regression over one-hot features (and not LightGBM as in the
 * reference): the features are integer *codes* (primitive ids in prefix order, padded with -1;
 * or linear-size ids), so their numeric order means nothing. One indicator per (position, value)
 * seen in training turns them into a linear model that learns "layer 3 uses linear2_1" or "token 5
 * of layer 1 is tanh" as additive evidence, which is what a few dozen to a few thousand samples can
 * support. Training is full-batch Adam from zero weights for a fixed number of iterations: no
 * randomness, no data order, no early stopping, so the same samples always give the same model
 * (Temporal replays this code). The L2 term keeps the many rare indicators near zero when samples
 * are few. Values never seen in training contribute nothing at prediction time.
 */

export interface ClassifierOptions {
  /**
   * When > 0, the features are consecutive blocks of this many positions (one block per layer:
   * 20 prefix tokens in stages 1-2) and each block also gets a presence indicator per value
   * ("layer 2 contains linear4_2 somewhere"): prefix order moves a primitive to another position
   * whenever the tree shape above it changes, and presence is what survives that.
   */
  readonly blockSize: number;
  /** L2 strength on the mean log-loss. */
  readonly l2: number;
  /** Full-batch Adam steps. */
  readonly iterations: number;
  readonly learningRate: number;
}

export const DEFAULT_CLASSIFIER_OPTIONS: ClassifierOptions = {
  blockSize: 0,
  l2: 0.01,
  iterations: 150,
  learningRate: 0.1,
};

export interface LogisticModel {
  readonly blockSize: number;
  /** Per feature position, then per block: code value → weight index. */
  readonly vocab: readonly ReadonlyMap<number, number>[];
  readonly weights: readonly number[];
  readonly bias: number;
}

/** The (slot, value) indicators that are on for `features`: slots are the positions, then the blocks. */
function indicators(features: readonly number[], blockSize: number): [slot: number, value: number][] {
  const on: [number, number][] = features.map((v, pos) => [pos, v]);
  if (blockSize > 0) {
    for (let b = 0; b * blockSize < features.length; b++) {
      const values = new Set(features.slice(b * blockSize, (b + 1) * blockSize));
      for (const v of values) on.push([features.length + b, v]);
    }
  }
  return on;
}

/** Weight indices of the indicators on for `features` (those never seen in training are left out). */
function activeIndices(
  model: Pick<LogisticModel, 'vocab' | 'blockSize'>,
  features: readonly number[],
): number[] {
  const out: number[] = [];
  for (const [slot, v] of indicators(features, model.blockSize)) {
    const k = model.vocab[slot]?.get(v);
    if (k !== undefined) out.push(k);
  }
  return out;
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export function trainClassifier(
  features: readonly (readonly number[])[],
  labels: readonly boolean[],
  options: ClassifierOptions = DEFAULT_CLASSIFIER_OPTIONS,
): LogisticModel {
  const n = features.length;
  if (n === 0 || labels.length !== n)
    throw new RangeError('trainClassifier needs as many labels as samples (> 0)');
  const width = features[0]!.length;
  const { blockSize } = options;
  const slots = width + (blockSize > 0 ? Math.ceil(width / blockSize) : 0);
  const vocab: Map<number, number>[] = Array.from({ length: slots }, () => new Map());
  let size = 0;
  for (const f of features) {
    if (f.length !== width)
      throw new RangeError(`feature vectors must all have length ${width}, got ${f.length}`);
    for (const [slot, v] of indicators(f, blockSize)) {
      if (!vocab[slot]!.has(v)) vocab[slot]!.set(v, size++);
    }
  }
  const rows = features.map((f) => activeIndices({ vocab, blockSize }, f));
  const y = labels.map((l) => (l ? 1 : 0));
  const positives = y.reduce((a: number, b) => a + b, 0);
  // Start at the label log-odds (clamped) so a one-sided node still predicts its majority.
  const prior = Math.min(Math.max(positives / n, 1e-3), 1 - 1e-3);

  // Parameter 0 is the bias (not regularised); weight k lives at k + 1.
  const params = new Float64Array(size + 1);
  params[0] = Math.log(prior / (1 - prior));
  const m = new Float64Array(size + 1);
  const v = new Float64Array(size + 1);
  const grad = new Float64Array(size + 1);
  const { l2, iterations, learningRate } = options;
  const beta1 = 0.9;
  const beta2 = 0.999;
  for (let t = 1; t <= iterations; t++) {
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      const row = rows[i]!;
      let z = params[0]!;
      for (const k of row) z += params[k + 1]!;
      const g = (sigmoid(z) - y[i]!) / n;
      grad[0] += g;
      for (const k of row) grad[k + 1] += g;
    }
    for (let k = 1; k <= size; k++) grad[k] += l2 * params[k]!;
    const c1 = 1 - beta1 ** t;
    const c2 = 1 - beta2 ** t;
    for (let k = 0; k <= size; k++) {
      m[k] = beta1 * m[k]! + (1 - beta1) * grad[k]!;
      v[k] = beta2 * v[k]! + (1 - beta2) * grad[k]! * grad[k]!;
      params[k] -= (learningRate * (m[k]! / c1)) / (Math.sqrt(v[k]! / c2) + 1e-8);
    }
  }
  return { blockSize, vocab, weights: Array.from(params.subarray(1)), bias: params[0]! };
}

/** Probability that `features` is on the good side. */
export function predictGood(model: LogisticModel, features: readonly number[]): number {
  let z = model.bias;
  for (const k of activeIndices(model, features)) z += model.weights[k]!;
  return sigmoid(z);
}
