/**
 * Measurement (issue 14, no target given): LaNAS against random search on real proxy rewards, the
 * counterpart of bench/lanas.ts's synthetic objective.
 *
 * A fixed pool (bench/lanas-real/pool.ts): one real warm-up (teacher + supernet) with the preset's
 * method settings, then `--pool` unique stage-1 architectures drawn from `--pool-seed` with the
 * preset's stage-1 plan (all-linear1_1 first), each trained once with the real proxy training
 * (kdTrainer, stage 'stage1') for its reward. Cached under `--cache-dir`; a rerun only replays.
 *
 * Replay (bench/lanas-real/replay.ts): per seed, LaNAS with the preset's stage-1 sampler settings
 * (and with localShare 0, the reference's uniform rejection sampling) and random search each
 * evaluate pool members one at a time without repeats, until the pool is exhausted. Reported per
 * sampler: mean samples to reach the pool's top `--top` share (the ceil(top * pool)-th best reward),
 * and the mean best reward after each of `--budgets` samples. `--repeats` retrainings of the first
 * and the best member with other seeds show how much of the pool's spread is training noise. Prints one JSON object; progress goes
 * to stderr.
 *
 *   npm run bench -- lanas-real [--preset tiny] [--steps-scale 1] [--pool 96] [--pool-seed 1]
 *     [--seeds 200] [--seed-offset 0] [--top 0.05] [--budgets 10,20] [--near 3] [--max-tries 2000]
 *     [--repeats 4]
 *     [--cache-dir .efficientbert/bench-cache] [--data ../shared/data]
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { isPresetName } from '../efficientbert/core/presets';
import { PLAN_PRESETS } from '../efficientbert/search';
import { DEFAULT_CLASSIFIER_OPTIONS, type LanasOptions } from '../efficientbert/search/samplers/lanas';
import { loadOrBuildPool } from './lanas-real/pool';
import {
  bestAfter,
  lanasReplayer,
  poolCandidates,
  type Replayer,
  randomReplayer,
  samplesToReach,
} from './lanas-real/replay';
import { mean, percentile, round3 } from './lib/stats';

/** Rewards (accuracies) of one pool lie within a few tenths of a point: four places. */
const round4 = (x: number) => Number(x.toFixed(4));

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'tiny' },
    'steps-scale': { type: 'string', default: '1' },
    pool: { type: 'string', default: '96' },
    'pool-seed': { type: 'string', default: '1' },
    seeds: { type: 'string', default: '200' },
    'seed-offset': { type: 'string', default: '0' },
    top: { type: 'string', default: '0.05' },
    budgets: { type: 'string', default: '10,20' },
    near: { type: 'string', default: '3' },
    'max-tries': { type: 'string', default: '2000' },
    repeats: { type: 'string', default: '4' },
    'cache-dir': { type: 'string', default: path.resolve(__dirname, '../.efficientbert/bench-cache') },
    data: { type: 'string', default: path.resolve(__dirname, '../../shared/data') },
  },
});

const preset = args.preset;
if (!isPresetName(preset) || preset === 'paper') {
  console.error(`--preset must be tiny or small, got ${preset}`);
  process.exit(2);
}

const sem = (xs: readonly number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1) / xs.length);
};

async function main() {
  const started = performance.now();
  const settings = {
    preset: preset as 'tiny' | 'small',
    stepsScale: Number(args['steps-scale']),
    size: Number(args.pool),
    seed: Number(args['pool-seed']),
    dataDir: path.resolve(args.data),
  };
  const { pool, file, trained } = await loadOrBuildPool(
    path.resolve(args['cache-dir']),
    settings,
    Number(args.repeats),
  );
  const trainSeconds = (performance.now() - started) / 1000;
  const candidates = poolCandidates(pool.members);
  const rewards = candidates.map((c) => c.reward).sort((a, b) => b - a);
  const topCount = Math.ceil(Number(args.top) * rewards.length);
  const threshold = rewards[topCount - 1]!;

  const s = PLAN_PRESETS[settings.preset].stage1.sampler;
  const lanasOptions: Partial<LanasOptions> = {
    nInit: s.nInit,
    trainInterval: s.trainInterval,
    cp: s.cp,
    splitThresholds: s.splitThresholds,
    localShare: s.localShare,
    maxTries: Number(args['max-tries']),
    classifier: { ...DEFAULT_CLASSIFIER_OPTIONS, blockSize: 20 },
  };
  const near = Number(args.near);
  const samplers: Replayer[] = [
    lanasReplayer('lanas', candidates, lanasOptions, near),
    lanasReplayer('lanasUniform', candidates, { ...lanasOptions, localShare: 0 }, near),
    randomReplayer(candidates),
  ];
  const budgets = args.budgets.split(',').map(Number);
  const seeds = Number(args.seeds);
  const offset = Number(args['seed-offset']);
  const replayStarted = performance.now();
  const perSeed: Record<string, number[]> = {};
  const best: Record<string, Record<string, number>> = {};
  for (const sampler of samplers) {
    const toTop: number[] = [];
    const bests = budgets.map(() => [] as number[]);
    for (let seed = offset; seed < offset + seeds; seed++) {
      const trace = sampler.run(seed, candidates.length);
      toTop.push(samplesToReach(trace, threshold));
      for (const [i, b] of budgets.entries()) bests[i]!.push(bestAfter(trace, b));
    }
    perSeed[sampler.name] = toTop;
    best[sampler.name] = Object.fromEntries(budgets.map((b, i) => [`after${b}`, round4(mean(bests[i]!))]));
    process.stderr.write(`[lanas-real] ${sampler.name}: mean ${mean(toTop).toFixed(2)} samples to the top\n`);
  }
  const summary = (name: string) => ({
    meanSamplesToTop: round3(mean(perSeed[name]!)),
    sem: round3(sem(perSeed[name]!)),
    medianSamplesToTop: percentile(perSeed[name]!, 0.5),
    meanBestReward: best[name],
  });
  const random = mean(perSeed.random!);
  console.log(
    JSON.stringify(
      {
        measures: 'LaNAS vs random search over a fixed pool of really trained stage-1 candidates',
        target: null,
        ratio: round3(mean(perSeed.lanas!) / random),
        ratioUniform: round3(mean(perSeed.lanasUniform!) / random),
        lanas: summary('lanas'),
        lanasUniform: summary('lanasUniform'),
        random: summary('random'),
        top: {
          share: Number(args.top),
          members: topCount,
          threshold: round4(threshold),
          atOrAbove: rewards.filter((r) => r >= threshold).length,
        },
        pool: {
          preset: settings.preset,
          size: rewards.length,
          seed: settings.seed,
          stepsScale: settings.stepsScale,
          reward: {
            min: round4(rewards[rewards.length - 1]!),
            median: round4(percentile(rewards, 0.5)),
            max: round4(rewards[0]!),
            distinct: new Set(rewards).size,
          },
          proxy: pool.method.proxy,
          // Member index → its cached reward and the rewards of `--repeats` retrainings with other seeds.
          seedNoise: Object.fromEntries(
            Object.entries(pool.repeats ?? {}).map(([i, rs]) => {
              const all = [pool.members[Number(i)]!.reward, ...rs.slice(0, Number(args.repeats))];
              return [i, { rewards: all.map(round4), spread: round4(Math.max(...all) - Math.min(...all)) }];
            }),
          ),
          warmupSeconds: round3(pool.warmup.seconds),
          meanTrainSeconds: round3(mean(pool.members.map((m) => m.seconds))),
          trainedThisRun: trained,
          cache: path.relative(process.cwd(), file),
        },
        lanasOptions,
        near,
        seeds,
        seedOffset: offset,
        perSeed,
        seconds: {
          poolBuild: round3(trainSeconds),
          replay: round3((performance.now() - replayStarted) / 1000),
        },
      },
      null,
      2,
    ),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
