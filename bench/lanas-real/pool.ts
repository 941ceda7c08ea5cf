/**
 * The fixed candidate pool of bench/lanas-real.ts: one real warm-up (teacher + supernet) with the
 * preset's method settings, then `size` unique stage-1 architectures drawn with the preset's own
 * stage-1 plan from `seed` (the all-linear1_1 model first, as a search starts), each trained once
 * with the real proxy training (kdTrainer, stage 'stage1') for its reward.
 *
 * The pool is cached as JSON under .efficientbert/bench-cache/, named by a hash of everything that
 * decides it (preset, method settings, seed, data folder) and written after every candidate, so a
 * rerun replays without training and an interrupted build resumes where it stopped. The draws are
 * a fixed sequence, so a pool of n is the first n of any larger one: the size is left out of the
 * hash and a larger `--pool` only trains the extra members.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PresetName } from '../../efficientbert/core/presets';
import { Prng } from '../../efficientbert/core/prng';
import { allLinear11, type MethodSettings, methodOf, PLAN_PRESETS } from '../../efficientbert/search';
import { PRESETS } from '../../efficientbert/space/presets';
import { printArchitecture } from '../../efficientbert/space/print';
import { sampleArchitecture, stage1Plan } from '../../efficientbert/space/sample';
import { kdTrainer } from '../../services/worker/trainer/kd';
import { TRAINER_PROTOCOL, type TrainerJob } from '../../services/worker/trainer/protocol';

export interface PoolSettings {
  readonly preset: PresetName;
  /** Multiplies every warm-up and proxy step count (1 = the preset's own trainings). */
  readonly stepsScale: number;
  readonly size: number;
  readonly seed: number;
  readonly dataDir: string;
}

export interface PoolMember {
  readonly arch: string;
  readonly reward: number;
  readonly seconds: number;
}

export interface Pool {
  readonly kind: 'efficientbert.bench.lanas-real-pool';
  readonly settings: PoolSettings;
  readonly method: MethodSettings;
  readonly warmup: { readonly teacherRef: string; readonly supernetRef: string; readonly seconds: number };
  readonly members: PoolMember[];
  /**
   * The training noise: pool members retrained with other seeds (the first member and the best
   * one), keyed by member index. A reward gap between members smaller than this spread is noise.
   */
  repeats?: Record<string, number[]>;
}

const scaled = (steps: number, scale: number) => Math.max(1, Math.round(steps * scale));

/** The preset's warm-up and proxy trainings, step counts multiplied by `scale`. */
export function poolMethod(preset: PresetName, scale: number): MethodSettings {
  const m = methodOf(PLAN_PRESETS[preset]);
  if (scale === 1) return m;
  return {
    ...m,
    warmup: {
      ...m.warmup,
      teacher: { ...m.warmup.teacher, steps: scaled(m.warmup.teacher.steps, scale) },
      pretrainSteps: scaled(m.warmup.pretrainSteps, scale),
      finetuneSteps: scaled(m.warmup.finetuneSteps, scale),
    },
    proxy: {
      ...m.proxy,
      pretrainSteps: scaled(m.proxy.pretrainSteps, scale),
      finetuneSteps: scaled(m.proxy.finetuneSteps, scale),
    },
  };
}

/** `size` unique stage-1 architectures: all-linear1_1 first, then the stage-1 plan's draws from `seed`. */
export function drawPool(preset: PresetName, size: number, seed: number): string[] {
  const config = PRESETS[preset];
  const stage1 = PLAN_PRESETS[preset].stage1;
  const plan = stage1Plan(stage1.paramBudget);
  const rng = Prng.fromSeed(seed);
  const archs = new Set<string>([allLinear11(config.layers)]);
  for (let tries = 0; archs.size < size; tries++) {
    if (tries > 100 * size) throw new Error(`only ${archs.size} unique architectures in ${tries} draws`);
    archs.add(printArchitecture(sampleArchitecture(rng, config, plan)));
  }
  return [...archs];
}

export function cachePath(root: string, settings: PoolSettings): string {
  const { size: _size, ...decides } = settings;
  const hash = createHash('sha256')
    .update(JSON.stringify({ ...decides, method: poolMethod(settings.preset, settings.stepsScale) }))
    .digest('hex')
    .slice(0, 16);
  return path.join(root, `lanas-real-${hash}.json`);
}

const log = (msg: string) => process.stderr.write(`[lanas-real] ${msg}\n`);

/** The cached pool for `settings`, training whatever part of it is missing. */
export async function loadOrBuildPool(
  cacheRoot: string,
  settings: PoolSettings,
  repeats = 0,
): Promise<{ pool: Pool; file: string; trained: number }> {
  fs.mkdirSync(cacheRoot, { recursive: true });
  const file = cachePath(cacheRoot, settings);
  const method = poolMethod(settings.preset, settings.stepsScale);
  const archs = drawPool(settings.preset, settings.size, settings.seed);
  const storeRoot = path.join(cacheRoot, 'lanas-real-store');
  const job = (stage: 'warmup' | 'stage1', index: number, arch: string, extra: Partial<TrainerJob> = {}) =>
    ({
      protocol: TRAINER_PROTOCOL,
      candidate: {
        searchId: 'bench-lanas-real',
        id: stage === 'warmup' ? 'warmup' : `stage1-${String(index).padStart(4, '0')}`,
        stage,
        index,
        arch,
        seed: settings.seed * 10_000 + index,
      },
      preset: settings.preset,
      tasks: [method.proxy.task],
      steps: 1,
      checkpointEvery: 1_000_000,
      method,
      dataDir: settings.dataDir,
      artifactsRoot: storeRoot,
      ...extra,
    }) satisfies TrainerJob;

  let pool: Pool | undefined;
  if (fs.existsSync(file)) {
    pool = JSON.parse(fs.readFileSync(file, 'utf8')) as Pool;
    log(`cache ${file}: ${pool.members.length}/${settings.size} trained`);
  }
  if (!pool) {
    log(`warm-up (${settings.preset}, steps x${settings.stepsScale})`);
    const t0 = performance.now();
    const warm = await kdTrainer(job('warmup', 0, ''), () => {});
    const seconds = (performance.now() - t0) / 1000;
    if (!warm.teacherRef || !warm.checkpointRef) throw new Error('warm-up returned no teacher or supernet');
    log(`warm-up done in ${seconds.toFixed(1)} s`);
    pool = {
      kind: 'efficientbert.bench.lanas-real-pool',
      settings,
      method,
      warmup: { teacherRef: warm.teacherRef, supernetRef: warm.checkpointRef, seconds },
      members: [],
    };
    fs.writeFileSync(file, JSON.stringify(pool, null, 1));
  }
  let trained = 0;
  for (let i = 0; i < Math.min(pool.members.length, archs.length); i++) {
    if (pool.members[i]!.arch !== archs[i]) throw new Error(`${file}: member ${i} is not this pool's draw`);
  }
  for (let i = pool.members.length; i < archs.length; i++) {
    const arch = archs[i]!;
    const t0 = performance.now();
    const result = await kdTrainer(
      job('stage1', i, arch, { teacherRef: pool.warmup.teacherRef, supernetRef: pool.warmup.supernetRef }),
      () => {},
    );
    const seconds = (performance.now() - t0) / 1000;
    pool.members.push({ arch, reward: result.reward, seconds });
    trained++;
    fs.writeFileSync(file, JSON.stringify(pool, null, 1));
    log(`candidate ${i + 1}/${archs.length}: reward ${result.reward.toFixed(4)} in ${seconds.toFixed(1)} s`);
  }
  const best = pool.members
    .slice(0, settings.size)
    .reduce((b, m, i, all) => (m.reward > all[b]!.reward ? i : b), 0);
  for (const i of new Set([0, best])) {
    const done = (pool.repeats ??= {})[i] ?? [];
    for (let r = done.length; r < repeats; r++) {
      const result = await kdTrainer(
        job('stage1', i, archs[i]!, {
          teacherRef: pool.warmup.teacherRef,
          supernetRef: pool.warmup.supernetRef,
          candidate: { ...job('stage1', i, archs[i]!).candidate, seed: settings.seed * 10_000 + 5_000 + r },
        }),
        () => {},
      );
      done.push(result.reward);
      pool.repeats[i] = done;
      trained++;
      fs.writeFileSync(file, JSON.stringify(pool, null, 1));
      log(`member ${i} retrained with seed ${r + 1}/${repeats}: reward ${result.reward.toFixed(4)}`);
    }
  }
  return { pool: { ...pool, members: pool.members.slice(0, settings.size) }, file, trained };
}
