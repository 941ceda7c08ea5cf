/**
 * The LaNAS learned partition tree, rebuilt from the evaluated samples (it has no state of its
 * own, so it needs no checkpoint). Each internal node splits its samples at the median reward,
 * "good" (≥ median) on the left, and trains a classifier to tell the two sides apart from the
 * features alone: the classifiers are what let the sampler aim at a region before evaluating.
 * Follows `LearningPhase` of the reference (cheneydon/efficient-bert, utils/action_space.py).
 */
import { type ClassifierOptions, type LogisticModel, predictGood, trainClassifier } from './classifier';

/** One evaluated candidate as the tree sees it. */
export interface LanasSample {
  /** The candidate's identity for duplicate checks: its key (architecture string or hash). */
  readonly id: string;
  /** Fixed-length integer-coded features (the space's encoding). */
  readonly features: readonly number[];
  readonly reward: number;
}

export interface LanasNode {
  /** Heap numbering: root 0, children of i are 2i+1 (good) and 2i+2 (bad). */
  readonly id: number;
  /** Sample count and reward sum: the UCB statistics (observations after a rebuild add to them). */
  readonly count: number;
  readonly rewardSum: number;
  /** Ids of the samples the node was built from, in sample order. */
  readonly sampleIds: readonly string[];
  /** Internal nodes only. */
  readonly split?: {
    readonly median: number;
    readonly classifier: LogisticModel;
    readonly good: LanasNode;
    readonly bad: LanasNode;
  };
}

export interface TreeOptions {
  /** Height = 1 + #thresholds below the sample count (numpy searchsorted, side 'left'). */
  readonly splitThresholds: readonly number[];
  /** A node with fewer samples stays a leaf. */
  readonly minSplitSamples: number;
  /**
   * Which samples each child gets: 'label' = the true median split (the reference), 'classifier'
   * = the classifier's prediction, so a child's statistics describe the region the sampler
   * actually draws from when it follows the classifier.
   */
  readonly route: 'label' | 'classifier';
  readonly classifier: ClassifierOptions;
}

/** 1 + searchsorted(thresholds, n): (400, 800, 1600, 3200) gives 1 up to 400 samples, 2 up to 800, … */
export function treeHeight(n: number, thresholds: readonly number[]): number {
  return 1 + thresholds.filter((t) => t < n).length;
}

/** Median as numpy computes it (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function meanReward(node: LanasNode): number {
  return node.count === 0 ? Number.NaN : node.rewardSum / node.count;
}

export function buildTree(samples: readonly LanasSample[], options: TreeOptions): LanasNode {
  return buildNode(0, samples, treeHeight(samples.length, options.splitThresholds), options);
}

function buildNode(
  id: number,
  samples: readonly LanasSample[],
  height: number,
  options: TreeOptions,
): LanasNode {
  const leaf: LanasNode = {
    id,
    count: samples.length,
    rewardSum: samples.reduce((s, x) => s + x.reward, 0),
    sampleIds: samples.map((x) => x.id),
  };
  if (height <= 0 || samples.length < Math.max(2, options.minSplitSamples)) return leaf;
  const m = median(samples.map((x) => x.reward));
  const labels = samples.map((x) => x.reward >= m);
  // All rewards equal (e.g. every candidate failed): there is nothing to learn here.
  if (labels.every((l) => l)) return leaf;
  const classifier = trainClassifier(
    samples.map((x) => x.features),
    labels,
    options.classifier,
  );
  const sideOf = (x: LanasSample, i: number) =>
    options.route === 'label' ? labels[i]! : predictGood(classifier, x.features) >= 0.5;
  const good = samples.filter(sideOf);
  const bad = samples.filter((x, i) => !sideOf(x, i));
  return {
    ...leaf,
    split: {
      median: m,
      classifier,
      good: buildNode(2 * id + 1, good, height - 1, options),
      bad: buildNode(2 * id + 2, bad, height - 1, options),
    },
  };
}

/** The side of `node`'s split that the classifier puts `features` on. */
export function classifiesGood(node: LanasNode, features: readonly number[]): boolean {
  if (!node.split) throw new RangeError(`node ${node.id} is a leaf`);
  return predictGood(node.split.classifier, features) >= 0.5;
}

/**
 * Adds a sample evaluated after the last rebuild to the statistics of the nodes the classifiers
 * route it through (LaNAS's back-propagation), so UCB sees it before the next rebuild. Pure: returns
 * a new tree sharing the untouched subtrees.
 */
export function observe(node: LanasNode, sample: LanasSample): LanasNode {
  const updated = { ...node, count: node.count + 1, rewardSum: node.rewardSum + sample.reward };
  if (!node.split) return updated;
  const goodSide = classifiesGood(node, sample.features);
  const split = goodSide
    ? { ...node.split, good: observe(node.split.good, sample) }
    : { ...node.split, bad: observe(node.split.bad, sample) };
  return { ...updated, split };
}
