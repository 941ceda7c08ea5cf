/**
 * The control flow of a three-stage EfficientBERT search, written once and run two ways: inside
 * Temporal workflows (workflows/) and in-process (workflows/in-process.ts, bench/orchestration).
 * Everything here is pure and deterministic: no Node APIs, no clocks, no Math.random. Randomness
 * comes from the search's own seeded PRNG, whose state is part of the stage state, so a stage can
 * stop anywhere between batches (crash, continue-as-new) and resume with the same answer.
 *
 * Determinism contract: candidates are sampled in batches of `batchSize` from the results of all
 * earlier batches, and each batch's results are applied in candidate order. Parallelism only bounds
 * how many candidates of a batch are evaluated at once, so it never changes the answer.
 */
import { Prng, type PrngState } from '../core/prng';
import { PRESETS } from '../space/presets';
import { baselineArchitecture } from './baseline';
import {
  type CandidateResult,
  type CandidateSpec,
  type CandidateStage,
  candidateId,
  leaderboard,
  STAGES,
  type StageName,
  type SupportStage,
} from './candidates';
import { inheritedResult, splitDuplicates } from './duplicates';
import { type RankingCheck, rankingCandidates, rankingCheckOf } from './ranking';
import type { SearchSpec } from './spec';

export interface SamplerContext {
  readonly stage: StageName;
  readonly layers: number;
  /** The whole spec (preset, parameter budget) for samplers that need it. */
  readonly spec: SearchSpec;
  /** The previous stage's winner (stages 2 and 3 derive from it). */
  readonly base?: string;
}

/** Proposes new architectures. Must draw randomness from `rng` only. */
export interface CandidateSampler {
  sample(rng: Prng, history: readonly CandidateResult[], n: number, ctx: SamplerContext): string[];
}

export interface StagePlan {
  readonly stage: StageName;
  readonly planned: number;
  readonly batchSize: number;
}

/** All a stage needs to resume: carried through continue-as-new. */
export interface StageState {
  readonly stage: StageName;
  readonly evaluated: readonly CandidateResult[];
  readonly prng: PrngState;
  readonly base?: string;
}

export type StageControl = 'continue' | 'stop';

/**
 * What the control flow needs from the world. The Temporal stage workflow implements it with
 * activities, signals and continue-as-new; the in-process runner with direct calls.
 */
export interface SearchExecutor {
  /** Evaluates a batch, up to the current parallelism at once; results in input order. */
  evaluate(candidates: readonly CandidateSpec[]): Promise<CandidateResult[]>;
  /** Before each batch: may wait (paused); 'stop' ends the stage early (cancelled). */
  beforeBatch(state: StageState): Promise<StageControl>;
  /** After each batch, with the state to resume from (persist, report progress, continue-as-new). */
  afterBatch(state: StageState): Promise<void>;
}

export interface StageOutcome {
  readonly stage: StageName;
  readonly planned: number;
  readonly evaluated: number;
  readonly best?: CandidateResult;
  readonly leaderboard: readonly CandidateResult[];
  readonly stopped: boolean;
  /**
   * Stages 1-2 with `verifyRanking`: the stage's best distinct trained candidates, as many as the
   * rank check verifies, chosen here from every candidate of the stage (the leaderboard alone
   * can be crowded by duplicates). The search picks its overall best from these.
   */
  readonly rankingPool?: readonly CandidateResult[];
}

/**
 * Shrinks a stage state for continue-as-new (payloads are limited to 2 MB): candidates outside
 * the top k keep only what samplers read (id, stage, index, arch, status, reward). Lossless for
 * the leaderboard, since a candidate that is not in the top k now never enters it later; full
 * records stay in the artifact store under `candidates/<searchId>/<id>/result`.
 */
export function compactStageState(state: StageState, k: number): StageState {
  const keep = new Set(leaderboard(state.evaluated, k).map((r) => r.id));
  const evaluated = state.evaluated.map(
    (r): CandidateResult =>
      keep.has(r.id)
        ? r
        : {
            id: r.id,
            stage: r.stage,
            index: r.index,
            arch: r.arch,
            status: r.status,
            reward: r.reward,
            ...(r.duplicateOf === undefined ? {} : { duplicateOf: r.duplicateOf }),
            ...(r.carriedFrom === undefined ? {} : { carriedFrom: r.carriedFrom }),
          },
  );
  return { ...state, evaluated };
}

export function initialStageState(stage: StageName, prng: PrngState, base?: string): StageState {
  return base === undefined ? { stage, evaluated: [], prng } : { stage, evaluated: [], prng, base };
}

/**
 * Stage 2's first candidate is stage 1's winner, as the reference does: stages 1 and 2 train with
 * the same proxy, so its reward is carried over rather than retrained, and stage 2's best can never
 * end below stage 1's. It takes one of the stage's planned slots and draws nothing from the PRNG.
 */
export function carriedOver(stage: StageName, previousBest: CandidateResult): CandidateResult {
  const candidate = { id: candidateId(stage, 0), stage, index: 0, arch: previousBest.arch };
  return inheritedResult(candidate, previousBest, { carriedFrom: previousBest.id });
}

/** Runs (or resumes) one stage until its plan is done or the executor says stop. */
export async function runStage(
  searchId: string,
  spec: SearchSpec,
  plan: StagePlan,
  state: StageState,
  sampler: CandidateSampler,
  executor: SearchExecutor,
): Promise<StageOutcome> {
  const ctx: SamplerContext = {
    stage: plan.stage,
    layers: PRESETS[spec.preset].layers,
    spec,
    ...(state.base === undefined ? {} : { base: state.base }),
  };
  let current = state;
  let stopped = false;
  while (current.evaluated.length < plan.planned) {
    if ((await executor.beforeBatch(current)) === 'stop') {
      stopped = true;
      break;
    }
    const rng = Prng.fromState(current.prng);
    const n = Math.min(plan.batchSize, plan.planned - current.evaluated.length);
    const archs = sampler.sample(rng, current.evaluated, n, ctx).slice(0, n);
    if (archs.length === 0) break; // the sampler found nothing unseen: the space is exhausted
    const candidates = archs.map((arch, i): CandidateSpec => {
      const index = current.evaluated.length + i;
      return {
        searchId,
        id: candidateId(plan.stage, index),
        stage: plan.stage,
        index,
        arch,
        seed: rng.int(2 ** 31),
      };
    });
    const { fresh, duplicateOf } = splitDuplicates(spec.preset, current.evaluated, candidates);
    const trained = await executor.evaluate(fresh);
    const byId = new Map([...current.evaluated, ...trained].map((r) => [r.id, r]));
    const results: CandidateResult[] = [];
    for (const c of candidates) {
      const firstId = duplicateOf.get(c.id);
      const own = firstId === undefined ? byId.get(c.id) : byId.get(firstId);
      if (own === undefined) break; // stopped before this one (or its first) was trained
      results.push(firstId === undefined ? own : inheritedResult(c, own, { duplicateOf: own.id }));
    }
    current = { ...current, evaluated: [...current.evaluated, ...results], prng: rng.state() };
    await executor.afterBatch(current);
    if (results.length < candidates.length) {
      // The executor was stopped mid-batch (cancelled): keep the finished prefix and end the stage.
      stopped = true;
      break;
    }
  }
  return summarizeStage(plan, current, spec.topK, stopped, spec.verifyRanking ?? 0);
}

export function summarizeStage(
  plan: StagePlan,
  state: StageState,
  k: number,
  stopped: boolean,
  verifyRanking = 0,
): StageOutcome {
  const board = leaderboard(state.evaluated, k);
  const pool = verifyRanking > 0 ? rankingCandidates(state.evaluated, verifyRanking) : [];
  const out = {
    stage: plan.stage,
    planned: plan.planned,
    evaluated: state.evaluated.length,
    leaderboard: board,
    stopped,
    ...(pool.length > 0 ? { rankingPool: pool } : {}),
  };
  return board[0] === undefined ? out : { ...out, best: board[0] };
}

/** The stage plans of a spec (sizes from the spec; the LaNAS stage plans refine these). */
export function stagePlans(spec: SearchSpec): StagePlan[] {
  return STAGES.map((stage) => ({ stage, planned: spec.stages[stage], batchSize: spec.batchSize }));
}

/** Per-stage PRNG states derived from the search seed (fixed, so stages never share draws). */
export function stagePrngs(seed: number): Record<StageName, PrngState> {
  const root = Prng.fromSeed(seed);
  return { stage1: root.fork().state(), stage2: root.fork().state(), stage3: root.fork().state() };
}

/** Training seeds of the support stages, drawn after the stages' forks so those never shift. */
export function supportSeeds(seed: number): Record<SupportStage, number> {
  const root = Prng.fromSeed(seed);
  for (let i = 0; i < 3; i++) root.fork();
  const final = root.int(2 ** 31);
  // The baseline trains with the winner's seed: same data order and head initialization, so the
  // two final trainings differ in their FFNs only.
  return { final, baseline: final, warmup: root.int(2 ** 31), sharing: root.int(2 ** 31) };
}

// ---------------------------------------------------------------------------------------------
// Search-level flow: warm-up supernet → stage 1 → stage 2 (from stage 1's best) → weight-sharing
// supernet → stage 3 (from stage 2's best, scored on the shared weights) → final training.

export interface StageRunInput {
  readonly searchId: string;
  readonly spec: SearchSpec;
  readonly plan: StagePlan;
  readonly state: StageState;
}

export interface SearchDeps {
  runStage(input: StageRunInput): Promise<StageOutcome>;
  /** One support training (warm-up, sharing or final) under `spec`, which names its inputs. */
  train(candidate: CandidateSpec, spec: SearchSpec): Promise<CandidateResult>;
  /** Between steps: false stops the search (cancelled). */
  shouldContinue(): boolean;
  /**
   * Whether the search trains the baseline after the winner. Workflows answer with a Temporal
   * patch marker, so a search that finished its final training under a worker without baselines
   * replays as it ran; absent means yes.
   */
  trainsBaseline?(): boolean;
  /**
   * Whether the search runs the rank check its spec asks for, after the baseline. Workflows answer
   * with a Temporal patch marker (asked only when the spec asks for a check, which no search from
   * before the check does); absent means yes.
   */
  verifiesRanking?(): boolean;
  /** The candidates the rank check will train, before the first of them. */
  onRankingPicked?(picks: readonly CandidateResult[]): void;
  onStageStart?(stage: CandidateStage): void;
  onStageDone?(outcome: StageOutcome): void;
  onTrained?(result: CandidateResult): void;
}

export interface SearchOutcome {
  readonly searchId: string;
  readonly stages: readonly StageOutcome[];
  readonly warmup?: CandidateResult;
  readonly sharing?: CandidateResult;
  readonly winner?: CandidateResult;
  readonly final?: CandidateResult;
  /** The plain baseline at the winner's parameter budget, through the same final training. */
  readonly baseline?: CandidateResult;
  /** The proxy-vs-final rank check (`verifyRanking`), when the spec asked for one. */
  readonly rankingCheck?: RankingCheck;
  readonly cancelled: boolean;
  /** Set when a support training failed for good: the search cannot go on without it. */
  readonly error?: string;
}

export async function runSearch(
  searchId: string,
  spec: SearchSpec,
  deps: SearchDeps,
): Promise<SearchOutcome> {
  const prngs = stagePrngs(spec.seed);
  const seeds = supportSeeds(spec.seed);
  const stages: StageOutcome[] = [];
  const support: { warmup?: CandidateResult; sharing?: CandidateResult } = {};
  const outcome = (extra: Partial<SearchOutcome> & { cancelled: boolean }): SearchOutcome => ({
    searchId,
    stages,
    ...support,
    ...extra,
  });
  const runSupport = async (stage: SupportStage, arch: string, under: SearchSpec) => {
    deps.onStageStart?.(stage);
    const result = await deps.train(
      { searchId, id: candidateId(stage, 0), stage, index: 0, arch, seed: seeds[stage] },
      under,
    );
    deps.onTrained?.(result);
    return result;
  };
  const failed = (r: CandidateResult) =>
    r.status === 'ok' && r.checkpointRef
      ? undefined
      : `${r.stage} training failed: ${r.error ?? 'no weights'}`;

  // Candidates inherit the warm-up supernet unless the search brings one.
  let working = spec;
  if (spec.supernetRef === undefined) {
    if (!deps.shouldContinue()) return outcome({ cancelled: true });
    support.warmup = await runSupport('warmup', '', spec);
    const error = failed(support.warmup);
    if (error) return outcome({ cancelled: false, error });
    working = {
      ...spec,
      supernetRef: support.warmup.checkpointRef!,
      ...(support.warmup.teacherRef ? { teacherRef: support.warmup.teacherRef } : {}),
    };
  }
  let base: string | undefined;
  let previousBest: CandidateResult | undefined;
  for (const plan of stagePlans(spec)) {
    if (!deps.shouldContinue()) return outcome({ cancelled: true });
    let stageSpec = working;
    if (plan.stage === 'stage3') {
      // Stage 3 scores sizes on weights trained for all of them at once (single-path sharing).
      support.sharing = await runSupport('sharing', base ?? '', working);
      const error = failed(support.sharing);
      if (error) return outcome({ cancelled: false, error });
      working = { ...working, supernetRef: support.sharing.checkpointRef! };
      stageSpec = working;
      if (!deps.shouldContinue()) return outcome({ cancelled: true });
    }
    deps.onStageStart?.(plan.stage);
    const initial = initialStageState(plan.stage, prngs[plan.stage], base);
    const carry = plan.stage === 'stage2' && previousBest !== undefined && plan.planned > 0;
    const stageOutcome = await deps.runStage({
      searchId,
      spec: stageSpec,
      plan,
      state: carry ? { ...initial, evaluated: [carriedOver(plan.stage, previousBest!)] } : initial,
    });
    stages.push(stageOutcome);
    deps.onStageDone?.(stageOutcome);
    if (stageOutcome.stopped) return outcome({ cancelled: true });
    if (stageOutcome.best) {
      base = stageOutcome.best.arch;
      previousBest = stageOutcome.best;
    }
  }
  const winner = stages[stages.length - 1]?.best;
  if (!winner) return outcome({ cancelled: false });
  if (!deps.shouldContinue()) return outcome({ winner, cancelled: true });
  const final = await runSupport('final', winner.arch, working);
  if (final.status !== 'ok') return outcome({ winner, final, cancelled: false });
  if (!deps.shouldContinue()) return outcome({ winner, final, cancelled: true });
  if (deps.trainsBaseline?.() === false) return outcome({ winner, final, cancelled: false });
  // A failed baseline is reported, not fatal: the winner is trained and served either way.
  const baseline = await runSupport('baseline', baselineArchitecture(spec.preset, winner.arch), working);
  const verify = spec.verifyRanking ?? 0;
  if (verify === 0 || deps.verifiesRanking?.() === false)
    return outcome({ winner, final, baseline, cancelled: false });
  // The overall best come from each stage's own best (a candidate among the overall n best is
  // among its stage's n best).
  const picks = rankingCandidates(
    stages.flatMap((s) => s.rankingPool ?? []),
    verify,
  );
  deps.onRankingPicked?.(picks);
  if (picks.length > 0) deps.onStageStart?.('verify');
  const finals: CandidateResult[] = [];
  for (const [index, pick] of picks.entries()) {
    if (!deps.shouldContinue()) return outcome({ winner, final, baseline, cancelled: true });
    // The baseline's training exactly (seed, supernet, teacher): only the architecture differs.
    const result = await deps.train(
      {
        searchId,
        id: candidateId('verify', index),
        stage: 'verify',
        index,
        arch: pick.arch,
        seed: seeds.baseline,
      },
      working,
    );
    deps.onTrained?.(result);
    finals.push(result);
  }
  return outcome({ winner, final, baseline, rankingCheck: rankingCheckOf(picks, finals), cancelled: false });
}
