/**
 * What a search is asked to do, and every limit and rule a request must satisfy: one module that
 * the gRPC gateway (services/search) and in-process runs (workflows/in-process.ts) both validate
 * with. Field paths are the API's (snake_case, relative to the spec: `stages.stage2_candidates`,
 * `method.proxy.held_out_fraction`); the gateway puts them under `spec.`.
 *
 * A `SearchRequest` leaves out what the preset provides; `resolveSearchSpec` fills it, once, where
 * a request is decoded, so everything downstream (workflows, samplers, trainers) reads a complete
 * `SearchSpec` and never falls back to a preset again.
 */
import { type FieldError, snakeFieldPath } from '../core/field-errors';
import { isPresetName, PRESET_NAMES, type PresetName } from '../core/presets';
import type { ParamBudget } from '../space/sample';
import { STAGES, type StageName } from './candidates';
import type { UserDataSpec } from './data-spec';
import { type MethodOverrides, type MethodSettings, mergeMethod, methodOf, withMethod } from './plan/method';
import { GIVEN_TEACHER_WARMUP_FINETUNE_STEPS, PLAN_PRESETS } from './plan/presets';
import { validateSearchPlan } from './plan/validate';

/** Training budget handed to every candidate's trainer. */
export interface TrainingBudget {
  /** Optimizer steps of one candidate's proxy training (stages 1-2; stage 3 scores without training). */
  readonly steps: number;
  /** Steps of the final training of the winner. */
  readonly finalSteps: number;
  /** A checkpoint is written every this many steps. */
  readonly checkpointEvery: number;
  /** Fake trainer only: wall time of one step, in ms. */
  readonly fakeStepMillis?: number;
}

export interface SearchSpec {
  readonly preset: PresetName;
  readonly tasks: readonly string[];
  /** Data folder (GLUE layout) as the workers see it. */
  readonly dataDir?: string;
  /** The user's dataset (artifact refs + column mapping); its task is `tasks[0]` and every training's. */
  readonly data?: UserDataSpec;
  /** Artifact ref of the teacher (a model directory manifest). */
  readonly teacherRef?: string;
  /** Artifact ref of the warm-up supernet checkpoint candidates start from. */
  readonly supernetRef?: string;
  readonly seed: number;
  /** Candidates evaluated at once (the number of GPU workers you want busy). */
  readonly parallelism: number;
  /** Candidates sampled per batch (LaNAS `train_interval`). Changes the answer; parallelism does not. */
  readonly batchSize: number;
  readonly stages: Readonly<Record<StageName, number>>;
  readonly budget: TrainingBudget;
  /**
   * Inclusive parameter budget in millions, for every stage that draws sizes: the samplers of
   * stages 1 and 3 and the weight-sharing trainer's sub-networks. Absent: no budget.
   */
  readonly paramRange?: readonly [number, number];
  readonly topK: number;
  /** The trainings' settings (warm-up, proxy, weight sharing, scoring, final), complete. */
  readonly method: MethodSettings;
  /**
   * After the baseline, train this many of the best distinct stage 1-2 candidates through the same
   * final training and rank-correlate proxy and final rewards (./ranking.ts). Absent: none.
   */
  readonly verifyRanking?: number;
}

/** A search as a caller asks for it: whatever it leaves out comes from the preset or `DEFAULTS`. */
export interface SearchRequest {
  readonly preset: PresetName;
  readonly tasks: readonly string[];
  readonly seed: number;
  readonly dataDir?: string;
  /** The user's dataset: `tasks` and every training's task default to its name. */
  readonly data?: UserDataSpec;
  readonly teacherRef?: string;
  readonly supernetRef?: string;
  readonly parallelism?: number;
  readonly batchSize?: number;
  readonly stages?: Readonly<Record<StageName, number>>;
  /** Unset fields are sized from the method (steps of the proxy and of the final training). */
  readonly budget?: Partial<TrainingBudget>;
  readonly paramRange?: readonly [number, number];
  readonly topK?: number;
  /** Field-by-field overrides of the preset's trainings. */
  readonly method?: MethodOverrides;
  /** 0 or absent: no rank check. */
  readonly verifyRanking?: number;
}

export const LIMITS = {
  maxCandidatesPerStage: 100_000,
  maxParallelism: 1024,
  maxBatchSize: 1000,
  maxTopK: 1000,
  maxSteps: 10_000_000,
  /** Each verified candidate is a full final training: a handful is what a rank check needs. */
  maxVerifyRanking: 20,
} as const;

export const DEFAULTS = {
  parallelism: 1,
  batchSize: 10,
  topK: 10,
  /**
   * A kd checkpoint holds weights and optimizer moments (tens of MB even at `tiny`): by default at
   * most two per candidate, and every this many steps at the most.
   */
  minCheckpointEvery: 100,
} as const;

/** Fills everything `request` leaves out; validate the result with `validateSearchSpec`. */
export function resolveSearchSpec(request: SearchRequest): SearchSpec {
  const { preset, budget, stages } = request;
  const plan = PLAN_PRESETS[preset];
  const method = mergeMethod(
    presetMethodFor(preset, { userTask: request.data?.name, teacherGiven: request.teacherRef !== undefined }),
    request.method,
  );
  const steps = budget?.steps ?? method.proxy.pretrainSteps + method.proxy.finetuneSteps;
  const presetBudget = plan.stage1.paramBudget;
  const range =
    request.paramRange ??
    (presetBudget ? ([presetBudget.min / 1e6, presetBudget.max / 1e6] as const) : undefined);
  // Optional fields stay absent rather than undefined: specs are compared, hashed and stored.
  const optional = <K extends string, V>(key: K, v: V | undefined) =>
    (v === undefined ? {} : { [key]: v }) as Partial<Record<K, V>>;
  return {
    preset,
    tasks: request.data && request.tasks.length === 0 ? [request.data.name] : request.tasks,
    seed: request.seed,
    ...optional('dataDir', request.dataDir),
    ...optional('data', request.data),
    ...optional('teacherRef', request.teacherRef),
    ...optional('supernetRef', request.supernetRef),
    parallelism: request.parallelism ?? DEFAULTS.parallelism,
    batchSize: request.batchSize ?? DEFAULTS.batchSize,
    stages: stages ?? {
      stage1: plan.stage1.candidates,
      stage2: plan.stage2.candidates,
      stage3: plan.stage3.candidates,
    },
    budget: {
      steps,
      finalSteps: budget?.finalSteps ?? method.final.pretrainSteps + method.final.finetuneSteps,
      checkpointEvery: budget?.checkpointEvery ?? Math.max(DEFAULTS.minCheckpointEvery, Math.ceil(steps / 2)),
      ...optional('fakeStepMillis', budget?.fakeStepMillis),
    },
    ...optional('paramRange', range),
    topK: request.topK ?? DEFAULTS.topK,
    method,
    // 0 stays absent, so a spec from before the rank check hashes (StartSearch idempotency) the same.
    ...optional('verifyRanking', request.verifyRanking === 0 ? undefined : request.verifyRanking),
  };
}

/**
 * The trainings a request's method overrides start from: the preset's, on the user's dataset when
 * there is one, and with the longer warm-up fine-tune a given (pre-trained) teacher needs.
 */
export function presetMethodFor(
  preset: PresetName,
  { userTask, teacherGiven }: { userTask?: string | undefined; teacherGiven: boolean },
): MethodSettings {
  const planMethod = methodOf(PLAN_PRESETS[preset]);
  const onTask = userTask === undefined ? planMethod : methodOnTask(planMethod, userTask);
  if (!teacherGiven) return onTask;
  return {
    ...onTask,
    warmup: { ...onTask.warmup, finetuneSteps: GIVEN_TEACHER_WARMUP_FINETUNE_STEPS[preset] },
  };
}

/** The preset's trainings with every task field naming `task` (a user dataset replaces GLUE). */
export function methodOnTask(m: MethodSettings, task: string): MethodSettings {
  return {
    warmup: { ...m.warmup, task },
    proxy: { ...m.proxy, task },
    weightSharing: { ...m.weightSharing, tasks: [task] },
    scoring: { ...m.scoring, task },
    final: { ...m.final, tasks: [task] },
  };
}

/** The spec's parameter range in parameters, as the samplers and the sharing trainer apply it. */
export function paramBudgetOf(spec: Pick<SearchSpec, 'paramRange'>): ParamBudget | undefined {
  const r = spec.paramRange;
  return r === undefined ? undefined : { min: r[0] * 1e6, max: r[1] * 1e6 };
}

export function presetError(preset: unknown): FieldError {
  return { field: 'preset', message: `must be one of ${PRESET_NAMES.join(', ')}, got '${String(preset)}'` };
}

const ARTIFACT_REF = /^sha256:[0-9a-f]{64}$/;

export function validateSearchSpec(spec: SearchSpec): FieldError[] {
  const errors: FieldError[] = [];
  const err = (field: string, message: string) => errors.push({ field, message });
  const posInt = (field: string, v: unknown, max: number) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
      err(field, `must be an integer in [1, ${max}], got ${String(v)}`);
    }
  };
  if (!isPresetName(spec.preset)) errors.push(presetError(spec.preset));
  if (!Array.isArray(spec.tasks) || spec.tasks.length === 0) err('tasks', 'must name at least one task');
  else if (spec.tasks.some((t) => typeof t !== 'string' || !/^[a-z0-9-]+$/i.test(t))) {
    err('tasks', 'task names are letters, digits and dashes');
  }
  if (!Number.isInteger(spec.seed) || spec.seed < 0 || spec.seed > 0xffffffff) {
    err('seed', `must be an integer in [0, 2^32), got ${spec.seed}`);
  }
  posInt('parallelism', spec.parallelism, LIMITS.maxParallelism);
  posInt('batch_size', spec.batchSize, LIMITS.maxBatchSize);
  for (const s of STAGES) posInt(`stages.${s}_candidates`, spec.stages?.[s], LIMITS.maxCandidatesPerStage);
  posInt('budget.steps', spec.budget?.steps, LIMITS.maxSteps);
  posInt('budget.final_steps', spec.budget?.finalSteps, LIMITS.maxSteps);
  posInt('budget.checkpoint_every', spec.budget?.checkpointEvery, LIMITS.maxSteps);
  if (spec.budget?.fakeStepMillis !== undefined && !(spec.budget.fakeStepMillis >= 0)) {
    err('budget.fake_step_millis', 'must be >= 0');
  }
  if (spec.paramRange) {
    const [lo, hi] = spec.paramRange;
    if (!(lo >= 0 && hi > lo)) err('param_range', `must satisfy 0 <= min < max, got [${lo}, ${hi}]`);
  }
  posInt('top_k', spec.topK, LIMITS.maxTopK);
  const verify = spec.verifyRanking;
  if (verify !== undefined && (!Number.isInteger(verify) || verify < 0 || verify > LIMITS.maxVerifyRanking)) {
    // More than there are distinct candidates is fine (the check trains what there is).
    err('verify_ranking', `must be an integer in [0, ${LIMITS.maxVerifyRanking}], got ${String(verify)}`);
  }
  if (spec.teacherRef !== undefined && !ARTIFACT_REF.test(spec.teacherRef)) {
    err('teacher_ref', 'must be an artifact ref sha256:<64 hex>');
  }
  if (spec.supernetRef !== undefined && !ARTIFACT_REF.test(spec.supernetRef)) {
    err('supernet_ref', 'must be an artifact ref sha256:<64 hex>');
  }
  if (spec.data && spec.tasks.some((t) => t !== spec.data?.name))
    err('tasks', `must be empty or ['${spec.data.name}'] with data`);
  if (spec.method === undefined) err('method', 'is required');
  else if (isPresetName(spec.preset))
    errors.push(...validateMethod(spec.preset, spec.method, spec.data?.name));
  return errors;
}

/** Plan field paths → spec field paths (a plan holds the proxy twice, for stages 1 and 2). */
const PLAN_TO_SPEC: readonly [RegExp, string][] = [
  [/^warmup\b/, 'method.warmup'],
  [/^stage[12]\.proxy\b/, 'method.proxy'],
  [/^stage3\.weightSharing\b/, 'method.weight_sharing'],
  [/^stage3\.scoring\b/, 'method.scoring'],
  [/^final\b/, 'method.final'],
];

function specPath(planPath: string): string | undefined {
  const rule = PLAN_TO_SPEC.find(([re]) => re.test(planPath));
  return rule && snakeFieldPath(planPath.replace(rule[0], rule[1]));
}

/**
 * The plan's rules (validate.ts: shapes, GLUE tasks, no overlap between the data a training reads
 * and the data its reward is measured on) on `method`, run in the preset's plan.
 */
export function validateMethod(preset: PresetName, method: MethodSettings, userTask?: string): FieldError[] {
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  for (const e of validateSearchPlan(withMethod(PLAN_PRESETS[preset], method), userTask)) {
    const field = specPath(e.field);
    if (field === undefined || seen.has(field)) continue;
    seen.add(field);
    // Plan messages start with their field and may name another one (`must not overlap …`).
    const message = e.message
      .slice(e.field.length + 1)
      .replace(/\b(?:warmup|stage[123]|final)(?:\.[A-Za-z]+)+/g, (p) => specPath(p) ?? p);
    errors.push({ field, message });
  }
  return errors;
}
