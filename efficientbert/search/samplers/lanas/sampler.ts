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
import type { Prng } from '../../../core/prng';
import { DEFAULT_CLASSIFIER_OPTIONS } from './classifier';
import {
  type Candidate,
  type CandidateGenerator,
  DEFAULT_MAX_TRIES,
  type NeighbourGenerator,
  pathAccepts,
  sampleOnPath,
  sampleUnseen,
} from './constrained';
import { buildTree, type LanasNode, type LanasSample, observe, type TreeOptions } from './tree';
import { type PathStep, selectPath } from './ucb';

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
  /**
   * Share of the rejection sampler's draws that are neighbours of the best samples in the chosen
   * leaf (needs a `neighbour` generator; the rest are the generator's uniform draws). 0 = the
   * reference's uniform draws only.
   */
  readonly localShare: number;
  /** How many of the chosen leaf's best samples neighbours are drawn around. */
  readonly localParents: number;
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
  localShare: 0,
  localParents: 5,
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
  posInt('localParents', o.localParents);
  if (!(o.localShare >= 0 && o.localShare <= 1))
    throw new RangeError(`lanas.localShare must be in [0, 1], got ${o.localShare}`);
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
   * @param neighbour optional local move: a candidate near an evaluated sample (e.g.
   *   `architectureNeighbour`), used for `localShare` of the tree-guided draws.
   */
  constructor(
    private readonly generate: CandidateGenerator<C>,
    private readonly seeds: readonly C[],
    options: Partial<LanasOptions> = {},
    private readonly neighbour?: NeighbourGenerator<C>,
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
    const draw = path ? this.proposal(path, samples) : this.generate;
    while (out.length < n) {
      const next =
        this.seeds.find((s) => !seen.has(s.key)) ??
        (path
          ? sampleOnPath(path, draw, seen, rng, maxTries)?.candidate
          : sampleUnseen(this.generate, seen, rng, maxTries));
      if (next === undefined) break;
      seen.add(next.key);
      out.push(next);
    }
    return out;
  }

  /**
   * The rejection sampler's proposal for `path`: with probability `localShare`, a neighbour of one
   * of the `localParents` best samples in the path's leaf (those it was built from and those
   * observed since that the path accepts), else a uniform draw.
   */
  private proposal(path: readonly PathStep[], samples: readonly LanasSample[]): CandidateGenerator<C> {
    const { localShare, localParents } = this.options;
    const neighbour = this.neighbour;
    if (!neighbour || localShare === 0 || path.length === 0) return this.generate;
    const last = path[path.length - 1]!;
    const leaf = last.node.split![last.side];
    const built = new Set(leaf.sampleIds);
    const m = rebuildPoint(samples.length, this.options.nInit, this.options.trainInterval);
    const inLeaf = samples.filter((s, i) => (i < m ? built.has(s.id) : pathAccepts(path, s.features)));
    // Best first; ties keep sample order (Array.prototype.sort is stable).
    const parents = inLeaf.sort((a, b) => b.reward - a.reward).slice(0, localParents);
    if (parents.length === 0) return this.generate;
    return (rng) => {
      if (rng.next() >= localShare) return this.generate(rng);
      return neighbour(rng.pick(parents), rng) ?? this.generate(rng);
    };
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
