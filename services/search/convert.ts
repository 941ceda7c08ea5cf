/** Proto messages (as @grpc/proto-loader gives them: snake_case, enums as names) ↔ internal types. */
import type { CandidateResult, FieldError, SearchSpec } from '../../efficientbert/search/driver';
import { PLAN_PRESETS, type PlanPreset } from '../../efficientbert/search/plan/presets';
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

/**
 * Fills defaults (the preset's stage counts and training settings) and converts; the field errors
 * name the request fields (`spec.…`). The spec keeps the resolved method, so a search's settings
 * are fixed when it starts even if a preset changes later.
 */
export function specFromPb(pb: PbSearchSpec | null | undefined): { spec?: SearchSpec; errors: FieldError[] } {
  if (!pb) return { errors: [{ field: 'spec', message: 'is required' }] };
  const { data, errors: dataErrors } = pb.data ? dataFromPb(pb.data) : { errors: [] };
  if (dataErrors.length) return { errors: dataErrors };
  if (data && pb.tasks.some((t) => t !== data.name))
    return {
      errors: [{ field: 'spec.tasks', message: `must be empty or ['${data.name}'] with spec.data` }],
    };
  const { method, errors } = methodFromPb(pb.preset, pb.method, data?.name);
  if (errors.length) return { errors };
  const plan = PLAN_PRESETS[pb.preset as PlanPreset];
  const stages = pb.stages ?? {
    stage1_candidates: plan?.stage1.candidates ?? 0,
    stage2_candidates: plan?.stage2.candidates ?? 0,
    stage3_candidates: plan?.stage3.candidates ?? 0,
  };
  const proxySteps = method ? method.proxy.pretrainSteps + method.proxy.finetuneSteps : 0;
  const finalSteps = method ? method.final.pretrainSteps + method.final.finetuneSteps : 0;
  const budget = pb.budget ?? { steps: 0, final_steps: 0, checkpoint_every: 0, fake_step_millis: 0 };
  // Unset budget fields are sized from the method, so a spec may name only checkpoint_every.
  const steps = budget.steps || proxySteps;
  const spec: SearchSpec = {
    preset: pb.preset as SearchSpec['preset'],
    tasks: data ? [data.name] : pb.tasks,
    seed: pb.seed,
    parallelism: pb.parallelism || 1,
    batchSize: pb.batch_size || 10,
    stages: {
      stage1: stages.stage1_candidates,
      stage2: stages.stage2_candidates,
      stage3: stages.stage3_candidates,
    },
    budget: {
      steps,
      finalSteps: budget.final_steps || finalSteps || 3 * steps,
      // A kd checkpoint holds weights and optimizer moments (tens of MB even at `tiny`): by
      // default at most two per candidate, and every 100 steps at the most.
      checkpointEvery: budget.checkpoint_every || Math.max(100, Math.ceil(steps / 2)),
      ...(budget.fake_step_millis ? { fakeStepMillis: budget.fake_step_millis } : {}),
    },
    ...(method ? { method } : {}),
    topK: pb.top_k || 10,
    ...(pb.data_dir ? { dataDir: pb.data_dir } : {}),
    ...(data ? { data } : {}),
    ...(pb.teacher_ref ? { teacherRef: pb.teacher_ref } : {}),
    ...(pb.supernet_ref ? { supernetRef: pb.supernet_ref } : {}),
    ...(pb.param_range && (pb.param_range.min_millions || pb.param_range.max_millions)
      ? { paramRange: [pb.param_range.min_millions, pb.param_range.max_millions] as const }
      : {}),
  };
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
    top_k: spec.topK ?? 10,
    method: spec.method ? methodToPb(spec.method) : null,
    data: spec.data ? dataToPb(spec.data) : null,
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
