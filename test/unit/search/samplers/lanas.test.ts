import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Prng } from '../../../../efficientbert/core/prng';
import {
  architectureNeighbour,
  buildTree,
  type Candidate,
  type LanasNode,
  type LanasSample,
  LanasSampler,
  median,
  pathAccepts,
  predictGood,
  rebuildPoint,
  sampleOnPath,
  selectPath,
  trainClassifier,
  treeHeight,
  ucbScore,
} from '../../../../efficientbert/search/samplers/lanas';
import { countParameters } from '../../../../efficientbert/space/params';
import { parseArchitecture } from '../../../../efficientbert/space/parse';
import { PRESETS } from '../../../../efficientbert/space/presets';
import { printArchitecture } from '../../../../efficientbert/space/print';
import { PAPER_BUDGET, sampleArchitecture, stage1Plan } from '../../../../efficientbert/space/sample';

// A toy space: 6 positions with 4 codes each; the reward favours code 0 everywhere.
const WIDTH = 6;
const generate = (rng: Prng): Candidate => {
  const features = Array.from({ length: WIDTH }, () => rng.int(4));
  return { key: features.join(''), features };
};
const reward = (f: readonly number[]) =>
  f.filter((v) => v === 0).length + 0.5 * f.filter((v) => v === 1).length;
const sampleOf = (c: Candidate): LanasSample => ({
  id: c.key,
  features: c.features,
  reward: reward(c.features),
});

function randomSamples(seed: number, n: number): LanasSample[] {
  const rng = Prng.fromSeed(seed);
  const seen = new Set<string>();
  const out: LanasSample[] = [];
  while (out.length < n) {
    const c = generate(rng);
    if (!seen.has(c.key)) {
      seen.add(c.key);
      out.push(sampleOf(c));
    }
  }
  return out;
}

const treeOptions = {
  splitThresholds: [10, 40],
  minSplitSamples: 4,
  route: 'label' as const,
  classifier: { blockSize: 0, l2: 0.01, iterations: 100, learningRate: 0.1 },
};

/** A hand-made two-leaf tree with the given child statistics (classifier irrelevant to UCB). */
function twoLeaves(good: [count: number, sum: number], bad: [count: number, sum: number]): LanasNode {
  const classifier = trainClassifier([[0], [1]], [true, false]);
  const leaf = (id: number, [count, rewardSum]: [number, number]): LanasNode => ({
    id,
    count,
    rewardSum,
    sampleIds: [],
  });
  return {
    id: 0,
    count: good[0] + bad[0],
    rewardSum: good[1] + bad[1],
    sampleIds: [],
    split: { median: 0, classifier, good: leaf(1, good), bad: leaf(2, bad) },
  };
}

describe('LaNAS tree', () => {
  it('grows with the sample count like searchsorted(thresholds, n) + 1', () => {
    const t = [400, 800, 1600, 3200];
    assert.deepEqual(
      [1, 400, 401, 800, 801, 1600, 3200, 3201, 10_000].map((n) => treeHeight(n, t)),
      [1, 1, 2, 2, 3, 3, 4, 5, 5],
    );
    assert.equal(treeHeight(5, []), 1);
  });

  it('computes the median like numpy', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it('splits at the median reward, good (>= median) on the left, recursively', () => {
    const samples = randomSamples(1, 30);
    const tree = buildTree(samples, treeOptions);
    const m = median(samples.map((s) => s.reward));
    assert.ok(tree.split);
    assert.equal(tree.split.median, m);
    assert.deepEqual(
      tree.split.good.sampleIds,
      samples.filter((s) => s.reward >= m).map((s) => s.id),
    );
    assert.deepEqual(
      tree.split.bad.sampleIds,
      samples.filter((s) => s.reward < m).map((s) => s.id),
    );
    // 30 samples: height 2, so the children split once more and the grandchildren are leaves.
    assert.ok(tree.split.good.split && tree.split.bad.split);
    assert.equal(tree.split.good.split.good.split, undefined);
    assert.equal(tree.split.good.id, 1);
    assert.equal(tree.split.bad.split.bad.id, 6);
    const rewardOf = new Map(samples.map((s) => [s.id, s.reward]));
    const mean = (ids: readonly string[]) => ids.reduce((a, id) => a + rewardOf.get(id)!, 0) / ids.length;
    assert.ok(mean(tree.split.good.sampleIds) > mean(tree.split.bad.sampleIds));
  });

  it('keeps a node a leaf when all rewards tie or samples are too few', () => {
    const tied = randomSamples(2, 12).map((s) => ({ ...s, reward: 0.5 }));
    assert.equal(buildTree(tied, treeOptions).split, undefined);
    assert.equal(buildTree(randomSamples(3, 3), treeOptions).split, undefined);
  });

  it('is deterministic: same samples give the same tree and path', () => {
    const samples = randomSamples(4, 50);
    const a = buildTree(samples, treeOptions);
    const b = buildTree(samples, treeOptions);
    assert.deepEqual(a, b);
    assert.deepEqual(
      selectPath(a, 0.1).map((s) => [s.node.id, s.side]),
      selectPath(b, 0.1).map((s) => [s.node.id, s.side]),
    );
  });
});

describe('UCB path choice', () => {
  it('scores a child as mean + 2·Cp·sqrt(2·ln(n_parent)/n_child)', () => {
    assert.equal(ucbScore(0.5, 10, 40, 0.1), 0.5 + 2 * 0.1 * Math.sqrt((2 * Math.log(40)) / 10));
    assert.equal(ucbScore(0.7, 3, 9, 0), 0.7);
    assert.equal(ucbScore(0.1, 0, 9, 0), Number.POSITIVE_INFINITY);
  });

  it('with Cp = 0 takes the child with the better mean, ties to the good side', () => {
    assert.equal(selectPath(twoLeaves([10, 8], [30, 15]), 0)[0]!.side, 'good');
    assert.equal(selectPath(twoLeaves([10, 4], [10, 6]), 0)[0]!.side, 'bad');
    assert.equal(selectPath(twoLeaves([10, 5], [10, 5]), 0)[0]!.side, 'good');
  });

  it('with a large Cp explores the rarely visited child', () => {
    // good: mean 0.8 over 100 samples; bad: mean 0.5 over 2 samples.
    const tree = twoLeaves([100, 80], [2, 1]);
    assert.equal(selectPath(tree, 0)[0]!.side, 'good');
    assert.equal(selectPath(tree, 0.5)[0]!.side, 'bad');
  });
});

describe('classifier', () => {
  it('separates a separable problem over categorical codes', () => {
    const rng = Prng.fromSeed(5);
    const draw = () => Array.from({ length: 8 }, () => rng.int(5));
    const label = (f: number[]) => f[2] === 3 || f[6] === 1;
    const train = Array.from({ length: 300 }, draw);
    const model = trainClassifier(train, train.map(label), {
      blockSize: 0,
      l2: 0.001,
      iterations: 300,
      learningRate: 0.1,
    });
    const test = Array.from({ length: 1000 }, draw);
    const accuracy = test.filter((f) => predictGood(model, f) >= 0.5 === label(f)).length / test.length;
    assert.ok(accuracy >= 0.95, `accuracy ${accuracy}`);
  });

  it('uses per-block presence indicators when asked', () => {
    // The label depends on whether block 1 (positions 3-5) contains code 2 anywhere.
    const rng = Prng.fromSeed(6);
    const draw = () => Array.from({ length: 6 }, () => rng.int(4));
    const label = (f: number[]) => f.slice(3).includes(2);
    const train = Array.from({ length: 200 }, draw);
    const test = Array.from({ length: 1000 }, draw);
    const accuracy = (blockSize: number) => {
      const model = trainClassifier(train, train.map(label), {
        blockSize,
        l2: 0.001,
        iterations: 300,
        learningRate: 0.1,
      });
      return test.filter((f) => predictGood(model, f) >= 0.5 === label(f)).length / test.length;
    };
    assert.ok(accuracy(3) > 0.97, `with blocks ${accuracy(3)}`);
  });
});

describe('constrained sampling', () => {
  it('returns unseen candidates every classifier on the path accepts', () => {
    const tree = buildTree(randomSamples(7, 60), treeOptions);
    const path = selectPath(tree, 0);
    assert.equal(path.length, 3);
    const seen = new Set<string>();
    const rng = Prng.fromSeed(8);
    for (let i = 0; i < 20; i++) {
      const draw = sampleOnPath(path, generate, seen, rng, 1000);
      assert.ok(draw?.onPath);
      assert.ok(pathAccepts(path, draw.candidate.features));
      assert.ok(!seen.has(draw.candidate.key));
      seen.add(draw.candidate.key);
    }
  });

  it('gives up with undefined when the space is exhausted', () => {
    const one = (): Candidate => ({ key: 'only', features: [0] });
    assert.equal(sampleOnPath([], one, new Set(['only']), Prng.fromSeed(1), 50), undefined);
  });
});

describe('LanasSampler', () => {
  const options = { nInit: 10, trainInterval: 5, splitThresholds: [15, 30], minSplitSamples: 4, cp: 0.05 };
  const seeds: Candidate[] = [
    { key: '333333', features: [3, 3, 3, 3, 3, 3] },
    { key: '222222', features: [2, 2, 2, 2, 2, 2] },
  ];

  /** Runs `steps` batches of `batch` proposals, evaluating each with the toy reward. */
  function run(
    sampler: LanasSampler<Candidate>,
    rng: Prng,
    samples: LanasSample[],
    steps: number,
    batch: number,
  ) {
    for (let i = 0; i < steps; i++) samples.push(...sampler.propose(rng, samples, batch).map(sampleOf));
    return samples;
  }

  it('proposes the seeds first, then unique random candidates, then tree-guided ones', () => {
    const sampler = new LanasSampler(generate, seeds, options);
    const samples = run(sampler, Prng.fromSeed(9), [], 12, 3);
    assert.deepEqual(
      samples.slice(0, 2).map((s) => s.id),
      ['333333', '222222'],
    );
    assert.equal(new Set(samples.map((s) => s.id)).size, samples.length);
    assert.equal(sampler.tree(samples.slice(0, 9)), undefined);
    assert.ok(sampler.tree(samples)?.split);
    assert.equal(rebuildPoint(samples.length, 10, 5), 35);
  });

  it('proposes the same candidates for the same samples and PRNG state', () => {
    const samples = run(new LanasSampler(generate, seeds, options), Prng.fromSeed(10), [], 8, 5);
    const a = new LanasSampler(generate, seeds, options).propose(Prng.fromSeed(11), samples, 6);
    const b = new LanasSampler(generate, seeds, options).propose(Prng.fromSeed(11), samples, 6);
    assert.deepEqual(a, b);
    assert.equal(a.length, 6);
  });

  it('rebuilt from the sample list, proposes what the incremental sampler proposes', () => {
    const rng = Prng.fromSeed(12);
    const incremental = new LanasSampler(generate, seeds, options);
    // Odd batch sizes so observations after a rebuild point are exercised too.
    const samples = run(incremental, rng, [], 9, 3);
    const state = rng.state();
    const next = incremental.propose(rng, samples, 4);

    const restored = new LanasSampler(generate, seeds, options);
    const restoredSamples = JSON.parse(JSON.stringify(samples)) as LanasSample[];
    assert.deepEqual(restored.tree(restoredSamples), incremental.tree(samples));
    assert.deepEqual(restored.propose(Prng.fromState(state), restoredSamples, 4), next);
  });

  it('guides sampling toward better rewards than random', () => {
    const mean = (xs: LanasSample[]) => xs.reduce((a, s) => a + s.reward, 0) / xs.length;
    const guided = run(new LanasSampler(generate, [], { ...options, cp: 0 }), Prng.fromSeed(13), [], 16, 5);
    const random = run(new LanasSampler(generate, [], { nInit: 1000 }), Prng.fromSeed(13), [], 16, 5);
    assert.ok(mean(guided.slice(40)) > mean(random.slice(40)) + 0.3, `${mean(guided.slice(40))}`);
  });

  /** Toy neighbour: one position of the parent redrawn. */
  const neighbour = (parent: LanasSample, rng: Prng): Candidate => {
    const features = [...parent.features];
    features[rng.int(WIDTH)] = rng.int(4);
    return { key: features.join(''), features };
  };

  it("with localShare, draws near the leaf's best samples, deterministically and unseen", () => {
    const local = { ...options, cp: 0, localShare: 0.9, localParents: 3 };
    const guided = run(new LanasSampler(generate, [], local, neighbour), Prng.fromSeed(13), [], 16, 5);
    const again = run(new LanasSampler(generate, [], local, neighbour), Prng.fromSeed(13), [], 16, 5);
    assert.deepEqual(guided, again);
    assert.equal(new Set(guided.map((s) => s.id)).size, guided.length);
    const plain = run(new LanasSampler(generate, [], { ...options, cp: 0 }), Prng.fromSeed(13), [], 16, 5);
    const mean = (xs: LanasSample[]) => xs.reduce((a, s) => a + s.reward, 0) / xs.length;
    assert.ok(mean(guided.slice(40)) > mean(plain.slice(40)), `${mean(guided.slice(40))}`);
    // Without a neighbour generator localShare changes nothing.
    const noNeighbour = run(new LanasSampler(generate, [], local), Prng.fromSeed(13), [], 16, 5);
    assert.deepEqual(noNeighbour, plain);
  });

  it('rejects bad options, naming them', () => {
    assert.throws(() => new LanasSampler(generate, [], { localShare: 1.5 }), /lanas\.localShare/);
    assert.throws(() => new LanasSampler(generate, [], { localParents: 0 }), /lanas\.localParents/);
    assert.throws(
      () => new LanasSampler(generate, [], { nInit: 0 }),
      /lanas\.nInit must be a positive integer/,
    );
    assert.throws(() => new LanasSampler(generate, [], { cp: -1 }), /lanas\.cp/);
    assert.throws(
      () => new LanasSampler(generate, [], { splitThresholds: [5, 5] }),
      /lanas\.splitThresholds/,
    );
  });
});

describe('architectureNeighbour', () => {
  const config = PRESETS.paper;
  const plan = stage1Plan(PAPER_BUDGET);

  it('redraws 1..maxLayers layers within the budget, deterministically', () => {
    const parent = sampleArchitecture(Prng.fromSeed(1), config, plan);
    const rng = Prng.fromSeed(2);
    for (let i = 0; i < 20; i++) {
      const state = rng.state();
      const child = architectureNeighbour(parent, rng, config, plan, { maxLayers: 2 });
      assert.ok(child);
      const again = architectureNeighbour(parent, Prng.fromState(state), config, plan, { maxLayers: 2 });
      assert.equal(printArchitecture(child), printArchitecture(again!));
      const p = countParameters(config, child);
      assert.ok(p >= PAPER_BUDGET.min && p <= PAPER_BUDGET.max, `${p}`);
      const changed = child.layers.filter((l, j) => l !== parent.layers[j]).length;
      assert.ok(changed >= 1 && changed <= 2, `${changed} layers redrawn`);
      // Still a parseable architecture of the space.
      assert.equal(printArchitecture(parseArchitecture(printArchitecture(child))), printArchitecture(child));
    }
  });

  it('gives undefined when no redraw fits the budget', () => {
    const parent = sampleArchitecture(Prng.fromSeed(1), config, plan);
    const impossible = stage1Plan({ min: 1, max: 2 });
    assert.equal(
      architectureNeighbour(parent, Prng.fromSeed(3), config, impossible, { maxTries: 5 }),
      undefined,
    );
  });
});
