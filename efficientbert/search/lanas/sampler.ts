/**
 * LaNAS as the search sees it (`SearchPhase` of the reference): first the seed candidates, then
 * random unique candidates until `nInit` have been evaluated, then tree-guided candidates, the tree
 * rebuilt every `trainInterval` evaluated samples.
 *
 * Everything is a function of (options, samples, PRNG state): the tree is rebuilt from the samples
 * up to the last rebuild point, later samples are added as observations, and the sampler keeps no
 * other state (a cache of the last tree only saves time). So a search resumed from its sample list
 * and PRNG state proposes exactly what an uninterrupted one would.
 */
import type { Prng } from '../prng';
import { DEFAULT_CLASSIFIER_OPTIONS } from './classifier';
import {
  type Candidate,
  type CandidateGenerator,
  DEFAULT_MAX_TRIES,
  sampleOnPath,
  sampleUnseen,
} from './constrained';
import { buildTree, type LanasNode, type LanasSample, observe, type TreeOptions } from './tree';
import { selectPath } from './ucb';

export interface LanasOptions extends TreeOptions {
  /** Samples evaluated before the first tree (seeds included). Reference: 80. */
  readonly nInit: number;
  /** Evaluated samples between rebuilds. Reference: 10. */
  readonly trainInterval: number;
  /**
   * UCB exploration constant, in reward units; 0 = the reference's pure exploitation. With
   * accuracy rewards a few points apart, 0.01 (bench/lanas.ts) keeps the bonus comparable to the
   * differences between child means.
   */
  readonly cp: number;
  /** Rejection-sampling budget per candidate. Reference: 20,000. */
  readonly maxTries: number;
}

/**
 * The reference's settings, with an exploration term. Stages 1-2 should set
 * `classifier.blockSize` to the feature encoding's tokens per layer (20); stage 3's size features
 * (one per layer) need none.
 */
export const DEFAULT_LANAS_OPTIONS: LanasOptions = {
  nInit: 80,
  trainInterval: 10,
  splitThresholds: [400, 800, 1600, 3200],
  minSplitSamples: 8,
  route: 'label',
  cp: 0.01,
  maxTries: DEFAULT_MAX_TRIES,
  classifier: DEFAULT_CLASSIFIER_OPTIONS,
};

/** Throws a RangeError naming the first bad option. */
export function validateLanasOptions(o: LanasOptions): void {
  const posInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1)
      throw new RangeError(`lanas.${name} must be a positive integer, got ${v}`);
  };
  posInt('nInit', o.nInit);
  posInt('trainInterval', o.trainInterval);
  posInt('maxTries', o.maxTries);
  posInt('minSplitSamples', o.minSplitSamples);
  posInt('classifier.iterations', o.classifier.iterations);
  if (!(o.cp >= 0 && Number.isFinite(o.cp)))
    throw new RangeError(`lanas.cp must be a finite number >= 0, got ${o.cp}`);
  if (!Number.isInteger(o.classifier.blockSize) || o.classifier.blockSize < 0) {
    throw new RangeError(`lanas.classifier.blockSize must be an integer >= 0, got ${o.classifier.blockSize}`);
  }
  if (!(o.classifier.l2 >= 0))
    throw new RangeError(`lanas.classifier.l2 must be >= 0, got ${o.classifier.l2}`);
  if (!(o.classifier.learningRate > 0)) {
    throw new RangeError(`lanas.classifier.learningRate must be > 0, got ${o.classifier.learningRate}`);
  }
  if (o.route !== 'label' && o.route !== 'classifier') {
    throw new RangeError(`lanas.route must be 'label' or 'classifier', got ${String(o.route)}`);
  }
  o.splitThresholds.forEach((t, i) => {
    if (!Number.isInteger(t) || t < 1 || (i > 0 && t <= o.splitThresholds[i - 1]!)) {
      throw new RangeError('lanas.splitThresholds must be increasing positive integers');
    }
  });
}

/** How many leading samples the current tree is built from (0: still in the initial phase). */
export function rebuildPoint(sampleCount: number, nInit: number, trainInterval: number): number {
  if (sampleCount < nInit) return 0;
  return nInit + Math.floor((sampleCount - nInit) / trainInterval) * trainInterval;
}

export class LanasSampler<C extends Candidate> {
  readonly options: LanasOptions;
  private cache?: { readonly built: readonly LanasSample[]; readonly tree: LanasNode };

  /**
   * @param generate the space's random candidate generator (valid, within budget).
   * @param seeds candidates evaluated first, in order (e.g. stage 1's all-linear1_1 model).
   */
  constructor(
    private readonly generate: CandidateGenerator<C>,
    private readonly seeds: readonly C[],
    options: Partial<LanasOptions> = {},
  ) {
    this.options = { ...DEFAULT_LANAS_OPTIONS, ...options };
    validateLanasOptions(this.options);
  }

  /**
   * Up to `n` new candidates given the samples evaluated so far (in evaluation order). Fewer only
   * when no unseen candidate can be found (an exhausted space). Draws from `rng` only.
   */
  propose(rng: Prng, samples: readonly LanasSample[], n: number): C[] {
    const seen = new Set(samples.map((s) => s.id));
    const out: C[] = [];
    const tree = this.tree(samples);
    const { cp, maxTries } = this.options;
    // The path depends only on the tree, so candidates of one batch share it (no rewards in between).
    const path = tree && selectPath(tree, cp);
    while (out.length < n) {
      const next =
        this.seeds.find((s) => !seen.has(s.key)) ??
        (path
          ? sampleOnPath(path, this.generate, seen, rng, maxTries)?.candidate
          : sampleUnseen(this.generate, seen, rng, maxTries));
      if (next === undefined) break;
      seen.add(next.key);
      out.push(next);
    }
    return out;
  }

  /** The tree the next proposals follow: built at the last rebuild point, later samples observed. */
  tree(samples: readonly LanasSample[]): LanasNode | undefined {
    const { nInit, trainInterval } = this.options;
    const m = rebuildPoint(samples.length, nInit, trainInterval);
    if (m === 0) return undefined;
    const built = samples.slice(0, m);
    let tree = this.cache && sameSamples(this.cache.built, built) ? this.cache.tree : undefined;
    if (!tree) {
      tree = buildTree(built, this.options);
      this.cache = { built, tree };
    }
    for (const s of samples.slice(m)) tree = observe(tree, s);
    return tree;
  }
}

function sameSamples(a: readonly LanasSample[], b: readonly LanasSample[]): boolean {
  return (
    a.length === b.length &&
    a.every((s, i) => {
      const t = b[i]!;
      return s.id === t.id && s.reward === t.reward && s.features.every((f, j) => f === t.features[j]);
    })
  );
}
