/**
 * Path choice in the partition tree by UCB. The reference EfficientBERT code scores a child by its
 * median minus the bad child's median, which always picks the good side (pure exploitation); LaNAS
 * proper adds an exploration term:
 *
 *   score(child) = x̄_child + 2·Cp·sqrt(2·ln(n_parent) / n_child)
 *
 * as in `Node.get_uct` of facebookresearch/LaMCTS, LaNAS/LaNAS_NASBench101/Node.py (commit 8d8276d):
 * `self.x_bar + 2*Cp*math.sqrt(2*math.log(self.parent.n) / self.n)`, returning +inf for a child with
 * no samples. Cp = 0 reproduces the reference: the child with the higher mean reward wins, and ties
 * go to the good child (the reference's `l_ucb >= r_ucb`).
 */
import { type LanasNode, meanReward } from './tree';

export function ucbScore(childMean: number, childCount: number, parentCount: number, cp: number): number {
  if (childCount === 0) return Number.POSITIVE_INFINITY;
  return childMean + 2 * cp * Math.sqrt((2 * Math.log(parentCount)) / childCount);
}

/** One step down the tree: the node whose classifier decides, and the side taken. */
export interface PathStep {
  readonly node: LanasNode;
  readonly side: 'good' | 'bad';
}

export function childScores(node: LanasNode, cp: number): { good: number; bad: number } {
  if (!node.split) throw new RangeError(`node ${node.id} is a leaf`);
  const { good, bad } = node.split;
  return {
    good: ucbScore(meanReward(good), good.count, node.count, cp),
    bad: ucbScore(meanReward(bad), bad.count, node.count, cp),
  };
}

/** Root-to-leaf path, taking the child with the higher UCB score at each internal node. */
export function selectPath(root: LanasNode, cp: number): PathStep[] {
  const path: PathStep[] = [];
  let node = root;
  while (node.split) {
    const s = childScores(node, cp);
    const side = s.good >= s.bad ? 'good' : 'bad';
    path.push({ node, side });
    node = node.split[side];
  }
  return path;
}
