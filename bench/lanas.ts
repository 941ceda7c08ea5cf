/**
 * Claim: on a structured objective over the real search space, LaNAS (learned partition tree +
 * UCB) reaches the top 1% of architectures in at most half the samples random search needs.
 *
 * Per seed: a fresh synthetic objective (bench/lib/lanas-objective.ts), its top-1% threshold estimated
 * from `--threshold-samples` random architectures, then LaNAS (with the given Cp, and with Cp = 0,
 * the reference's behaviour) and random search each evaluate up to `--budget` unique candidates one
 * at a time; we record the 1-based index of the first candidate whose noise-free value reaches the
 * threshold (budget + 1 when none does). Prints one JSON object.
 *
 * The space is the paper preset's stage 1 (mutated plain GELU seeds, [15 M, 16 M] parameters) with
 * the space's own sampler and feature encoding. Defaults are the settings tuned in the report.
 * LaNAS's rejection sampler draws half of its proposals (`--local-share`) as neighbours of the
 * `--local-parents` best samples in the chosen leaf (1..`--local-layers` layers redrawn from the
 * same plan, `architectureNeighbour`), the other half uniformly; `--local-share 0` is the
 * reference's uniform rejection sampling. Random search is unchanged: uniform unique draws.
 *
 *   node --import tsx bench/lanas.ts [--seeds 96] [--seed-offset 0] [--budget 400] [--cp 0.01]
 *     [--n-init 10] [--interval 5] [--thresholds 20,40,80,160] [--block 20] [--l2 0.01]
 *     [--iterations 150] [--learning-rate 0.1] [--min-split 8] [--route label] [--max-tries 2000]
 *     [--local-share 0.5] [--local-parents 5] [--local-layers 2]
 */
import { parseArgs } from 'node:util';
import { Prng } from '../efficientbert/core/prng';
import { allLinear11 } from '../efficientbert/search/plan/presets';
import {
  architectureNeighbour,
  type Candidate,
  type LanasOptions,
  type LanasSample,
  LanasSampler,
} from '../efficientbert/search/samplers/lanas';
import type { Architecture } from '../efficientbert/space/ast';
import { architectureFeatures } from '../efficientbert/space/features';
import { parseArchitecture } from '../efficientbert/space/parse';
import { PRESETS } from '../efficientbert/space/presets';
import { printArchitecture } from '../efficientbert/space/print';
import { PAPER_BUDGET, sampleArchitecture, stage1Plan } from '../efficientbert/space/sample';
import { syntheticObjective } from './lib/lanas-objective';
import { mean } from './lib/stats';

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '96' },
    'seed-offset': { type: 'string', default: '0' },
    budget: { type: 'string', default: '400' },
    cp: { type: 'string', default: '0.01' },
    'n-init': { type: 'string', default: '10' },
    interval: { type: 'string', default: '5' },
    thresholds: { type: 'string', default: '20,40,80,160' },
    l2: { type: 'string', default: '0.01' },
    block: { type: 'string', default: '20' },
    iterations: { type: 'string', default: '150' },
    'learning-rate': { type: 'string', default: '0.1' },
    'min-split': { type: 'string', default: '8' },
    route: { type: 'string', default: 'label' },
    'threshold-samples': { type: 'string', default: '5000' },
    'max-tries': { type: 'string', default: '2000' },
    'local-share': { type: 'string', default: '0.5' },
    'local-parents': { type: 'string', default: '5' },
    'local-layers': { type: 'string', default: '2' },
  },
});

interface ArchCandidate extends Candidate {
  readonly arch: Architecture;
}

function candidate(arch: Architecture): ArchCandidate {
  return { arch, key: printArchitecture(arch), features: architectureFeatures(arch) };
}

// Stage 1 of the paper preset: mutated plain GELU seeds per layer, within [15 M, 16 M] parameters.
const config = PRESETS.paper;
const LAYERS = config.layers;
const plan = stage1Plan(PAPER_BUDGET);
const randomArchitecture = (rng: Prng) => sampleArchitecture(rng, config, plan);
const generate = (rng: Prng) => candidate(randomArchitecture(rng));
/** A neighbour of an evaluated sample: a few of its layers redrawn from the same plan. */
const localLayers = Number(args['local-layers']);
const neighbour = (parent: LanasSample, rng: Prng) => {
  const arch = architectureNeighbour(parseArchitecture(parent.id), rng, config, plan, {
    maxLayers: localLayers,
  });
  return arch && candidate(arch);
};
/** The all-linear1_1 plain GELU model, the reference's first stage-1 candidate. */
const first = candidate(parseArchitecture(allLinear11(LAYERS)));

const budget = Number(args.budget);
const lanasOptions: Partial<LanasOptions> = {
  nInit: Number(args['n-init']),
  trainInterval: Number(args.interval),
  splitThresholds: args.thresholds === '' ? [] : args.thresholds.split(',').map(Number),
  minSplitSamples: Number(args['min-split']),
  maxTries: Number(args['max-tries']),
  localShare: Number(args['local-share']),
  localParents: Number(args['local-parents']),
  route: args.route as LanasOptions['route'],
  classifier: {
    blockSize: Number(args.block),
    l2: Number(args.l2),
    iterations: Number(args.iterations),
    learningRate: Number(args['learning-rate']),
  },
};

/** Index (1-based) of the first proposal reaching `threshold`, or budget + 1. */
function run(
  propose: (samples: LanasSample[]) => ArchCandidate | undefined,
  value: (a: Architecture) => number,
  threshold: number,
  evaluate: (a: Architecture) => number,
): number {
  const samples: LanasSample[] = [];
  while (samples.length < budget) {
    const c = propose(samples);
    if (!c) break;
    samples.push({ id: c.key, features: c.features, reward: evaluate(c.arch) });
    if (value(c.arch) >= threshold) return samples.length;
  }
  return budget + 1;
}

const seeds = Number(args.seeds);
const results: { lanas: number; lanasCp0: number; random: number }[] = [];
const started = performance.now();
const offset = Number(args['seed-offset']);
for (let s = offset; s < offset + seeds; s++) {
  const objective = syntheticObjective(1000 + s, LAYERS);
  const probe = Prng.fromSeed(5000 + s);
  const values = Array.from({ length: Number(args['threshold-samples']) }, () =>
    objective.value(randomArchitecture(probe)),
  ).sort((a, b) => b - a);
  // The 1%-th best value: exactly 1% of the probe sample reach it.
  const threshold = values[Math.ceil(values.length / 100) - 1]!;

  const lanasRun = (cp: number) => {
    const sampler = new LanasSampler(generate, [first], { ...lanasOptions, cp }, neighbour);
    const rng = Prng.fromSeed(s);
    const noise = Prng.fromSeed(9000 + s);
    return run(
      (samples) => sampler.propose(rng, samples, 1)[0],
      objective.value,
      threshold,
      (a) => objective.evaluate(a, noise),
    );
  };
  // Random search = the same sampler with no tree ever built.
  const randomSampler = new LanasSampler(generate, [first], { nInit: budget + 1 });
  const rng = Prng.fromSeed(s);
  const noise = Prng.fromSeed(9000 + s);
  const random = run(
    (samples) => randomSampler.propose(rng, samples, 1)[0],
    objective.value,
    threshold,
    (a) => objective.evaluate(a, noise),
  );
  results.push({ lanas: lanasRun(Number(args.cp)), lanasCp0: lanasRun(0), random });
}

const lanasMeanSamples = mean(results.map((r) => r.lanas));
const lanasCp0MeanSamples = mean(results.map((r) => r.lanasCp0));
const randomMeanSamples = mean(results.map((r) => r.random));
console.log(
  JSON.stringify(
    {
      claim: 'LaNAS reaches the top 1% in at most half the samples of random search',
      lanasMeanSamples,
      randomMeanSamples,
      ratio: lanasMeanSamples / randomMeanSamples,
      cp: Number(args.cp),
      lanasCp0MeanSamples,
      ratioCp0: lanasCp0MeanSamples / randomMeanSamples,
      misses: {
        lanas: results.filter((r) => r.lanas > budget).length,
        lanasCp0: results.filter((r) => r.lanasCp0 > budget).length,
        random: results.filter((r) => r.random > budget).length,
      },
      seeds,
      seedOffset: offset,
      budget,
      thresholdSamples: Number(args['threshold-samples']),
      options: lanasOptions,
      localLayers,
      space: 'paper preset, stage 1 (efficientbert/space sampleArchitecture + architectureFeatures)',
      perSeed: results,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    },
    null,
    2,
  ),
);
