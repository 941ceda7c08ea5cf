/** Proto messages (as @grpc/proto-loader gives them: snake_case, enums as names) ↔ internal types. */
import type { FieldError } from '../../efficientbert/core/field-errors';
import { isPresetName } from '../../efficientbert/core/presets';
import {
  type CandidateResult,
  presetError,
  type RankingCheck,
  resolveSearchSpec,
  type SearchSpec,
} from '../../efficientbert/search';
import type { SearchProgress, SearchStatus } from '../../workflows/definitions';
import { dataFromPb, dataToPb, type PbDataSpec } from './data';
import { methodFromPb, methodToPb, type PbMethod } from './method';

export interface PbSearchSpec {
  preset: string;
  tasks: string[];
  data_dir: string;
  teacher_ref: string;
  supernet_ref: string;
  seed: number;
  parallelism: number;
  batch_size: number;
  stages?: { stage1_candidates: number; stage2_candidates: number; stage3_candidates: number } | null;
  budget?: { steps: number; final_steps: number; checkpoint_every: number; fake_step_millis: number } | null;
  param_range?: { min_millions: number; max_millions: number } | null;
  top_k: number;
  method?: PbMethod | null;
  data?: PbDataSpec | null;
  verify_ranking: number;
}

export type PbStatus =
  | 'SEARCH_STATUS_UNSPECIFIED'
  | 'SEARCH_STATUS_RUNNING'
  | 'SEARCH_STATUS_PAUSED'
  | 'SEARCH_STATUS_CANCELLING'
  | 'SEARCH_STATUS_COMPLETED'
  | 'SEARCH_STATUS_CANCELLED'
  | 'SEARCH_STATUS_FAILED';

export function statusToPb(s: SearchStatus | undefined): PbStatus {
  return s ? (`SEARCH_STATUS_${s}` as PbStatus) : 'SEARCH_STATUS_UNSPECIFIED';
}

export function statusFromPb(s: string | number | undefined): SearchStatus | undefined {
  if (s === undefined || s === 'SEARCH_STATUS_UNSPECIFIED' || s === 0) return undefined;
  const names: SearchStatus[] = ['RUNNING', 'PAUSED', 'CANCELLING', 'COMPLETED', 'CANCELLED', 'FAILED'];
  if (typeof s === 'number') return names[s - 1];
  const name = s.replace(/^SEARCH_STATUS_/, '') as SearchStatus;
  return names.includes(name) ? name : undefined;
}

/** proto3 leaves unset scalars at 0 / "": those mean "the default" (the preset's, or DEFAULTS). */
function set<T>(value: T | undefined | null): T | undefined {
  return value === undefined || value === null || value === 0 || value === '' ? undefined : value;
}

/**
 * Decodes a request and fills its defaults, once (resolveSearchSpec: the preset's stage counts,
 * trainings and parameter budget); the field errors name the request fields (`spec.…`). The spec
 * keeps the resolved settings, so a search's settings are fixed when it starts even if a preset
 * changes later. The caller validates the result (validateSearchSpec).
 */
export function specFromPb(pb: PbSearchSpec | null | undefined): { spec?: SearchSpec; errors: FieldError[] } {
  if (!pb) return { errors: [{ field: 'spec', message: 'is required' }] };
  if (!isPresetName(pb.preset)) return { errors: [presetError(pb.preset)] };
  const { data, errors: dataErrors } = pb.data ? dataFromPb(pb.data) : { errors: [] };
  if (dataErrors.length) return { errors: dataErrors };
  const { method, errors } = methodFromPb(pb.preset, pb.method, {
    userTask: data?.name,
    teacherGiven: set(pb.teacher_ref) !== undefined,
  });
  if (errors.length) return { errors };
  const budget = pb.budget;
  const range = pb.param_range;
  const spec = resolveSearchSpec({
    preset: pb.preset,
    tasks: pb.tasks,
    seed: pb.seed,
    parallelism: set(pb.parallelism),
    batchSize: set(pb.batch_size),
    // Stage counts come as a whole: a message with a zero count is a bad count, not "the preset's".
    stages: pb.stages
      ? {
          stage1: pb.stages.stage1_candidates,
          stage2: pb.stages.stage2_candidates,
          stage3: pb.stages.stage3_candidates,
        }
      : undefined,
    budget: {
      steps: set(budget?.steps),
      finalSteps: set(budget?.final_steps),
      checkpointEvery: set(budget?.checkpoint_every),
      fakeStepMillis: set(budget?.fake_step_millis),
    },
    method,
    topK: set(pb.top_k),
    dataDir: set(pb.data_dir),
    data,
    teacherRef: set(pb.teacher_ref),
    supernetRef: set(pb.supernet_ref),
    verifyRanking: set(pb.verify_ranking),
    paramRange:
      range && (range.min_millions || range.max_millions)
        ? [range.min_millions, range.max_millions]
        : undefined,
  });
  return { spec, errors: [] };
}

export function specToPb(spec: SearchSpec): PbSearchSpec {
  return {
    preset: spec.preset,
    tasks: [...spec.tasks],
    data_dir: spec.dataDir ?? '',
    teacher_ref: spec.teacherRef ?? '',
    supernet_ref: spec.supernetRef ?? '',
    seed: spec.seed,
    parallelism: spec.parallelism,
    batch_size: spec.batchSize,
    stages: {
      stage1_candidates: spec.stages.stage1,
      stage2_candidates: spec.stages.stage2,
      stage3_candidates: spec.stages.stage3,
    },
    budget: {
      steps: spec.budget.steps,
      final_steps: spec.budget.finalSteps,
      checkpoint_every: spec.budget.checkpointEvery,
      fake_step_millis: spec.budget.fakeStepMillis ?? 0,
    },
    param_range: spec.paramRange
      ? { min_millions: spec.paramRange[0], max_millions: spec.paramRange[1] }
      : null,
    top_k: spec.topK,
    method: methodToPb(spec.method),
    data: spec.data ? dataToPb(spec.data) : null,
    verify_ranking: spec.verifyRanking ?? 0,
  };
}

export function candidateToPb(c: CandidateResult | undefined) {
  if (!c) return null;
  return {
    id: c.id,
    stage: c.stage,
    index: c.index,
    arch: c.arch,
    status: c.status,
    reward: c.reward,
    steps: c.steps ?? 0,
    result_ref: c.resultRef ?? '',
    checkpoint_ref: c.checkpointRef ?? '',
    error: c.error ?? '',
    metrics: { ...c.metrics },
    model_ref: c.modelRef ?? '',
    duplicate_of: c.duplicateOf ?? '',
    carried_from: c.carriedFrom ?? '',
  };
}

export function rankingCheckToPb(check: RankingCheck | undefined) {
  if (!check) return null;
  return {
    entries: check.entries.map((e) => ({
      candidate_id: e.candidateId,
      arch: e.arch,
      proxy_reward: e.proxyReward,
      final_reward: e.final.reward,
      metrics: { ...e.final.metrics },
      final_id: e.final.id,
      status: e.final.status,
      error: e.final.error ?? '',
    })),
    ...(check.kendallTau === undefined ? {} : { kendall_tau: check.kendallTau }),
  };
}

export function progressToPb(p: SearchProgress) {
  return {
    stage: p.stage,
    evaluated: p.evaluated,
    planned: p.planned,
    stage_evaluated: p.stageEvaluated,
    stage_planned: p.stagePlanned,
    best: candidateToPb(p.best),
    leaderboard: p.leaderboard.map(candidateToPb),
    parallelism: p.parallelism,
    started_at_ms: p.startedAtMs,
    elapsed_ms: p.elapsedMs,
    ...(p.etaMs === undefined ? {} : { eta_ms: p.etaMs }),
  };
}
