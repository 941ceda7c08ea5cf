/**
 * Names shared by workflows, worker and clients: task queues, signals, updates, queries, search
 * attributes, and the shapes they carry. Pure (imports only @temporalio/common, workflow
 * definition helpers and the pure search library), so both workflow code and Node code import it.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  defineSearchAttributeKey,
  SearchAttributeType,
} from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  CandidateResult,
  CandidateSpec,
  CandidateStage,
  RankingCheck,
  SearchOutcome,
  SearchSpec,
  StageName,
  StageOutcome,
  StagePlan,
  StageState,
} from '../efficientbert/search';
import { paramBudgetOf } from '../efficientbert/search';
import type { TrainCandidateInput } from './activities';

export const TASK_QUEUE = 'efficientbert';
export const GPU_TASK_QUEUE = 'efficientbert-gpu';

/** ApplicationFailure type of an invalid architecture (non-retryable). */
export const INVALID_ARCHITECTURE = 'InvalidArchitecture';

export const STATUS_ATTR = defineSearchAttributeKey('EfficientBertStatus', SearchAttributeType.KEYWORD);
export const STAGE_ATTR = defineSearchAttributeKey('EfficientBertStage', SearchAttributeType.KEYWORD);
/** Custom search attributes the server must have registered (name → type for the CLI flag). */
export const CUSTOM_SEARCH_ATTRIBUTES: Readonly<Record<string, 'Keyword'>> = {
  EfficientBertStatus: 'Keyword',
  EfficientBertStage: 'Keyword',
};

export type SearchStatus = 'RUNNING' | 'PAUSED' | 'CANCELLING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';
export type SearchPhase = CandidateStage | 'pending' | 'done';

/** Signals accepted by both the search workflow and its stage workflows. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const cancelSignal = defineSignal<[reason?: string]>('cancel');
/** Stage workflows: the parent forwards parallelism changes with this signal. */
export const parallelismSignal = defineSignal<[parallelism: number]>('parallelism');
/** Search workflow: validated change of parallelism; returns the previous value. */
export const setParallelismUpdate = defineUpdate<number, [parallelism: number]>('setParallelism');
/** Stage workflow → parent after every batch. */
export const stageReportSignal = defineSignal<[report: StageReport]>('stageReport');

export const progressQuery = defineQuery<SearchProgress>('progress');
export const stageProgressQuery = defineQuery<StageReport>('stageProgress');
/**
 * Stage workflow: every candidate it has evaluated, in evaluation order (ListCandidates). Those
 * outside the top k of an earlier run of a continue-as-new chain are compact (compactStageState):
 * id, stage, index, arch, status, reward and where their outcome came from.
 */
export const stageCandidatesQuery = defineQuery<readonly CandidateResult[]>('stageCandidates');

export interface StageReport {
  readonly stage: StageName;
  readonly evaluated: number;
  readonly planned: number;
  readonly leaderboard: readonly CandidateResult[];
  readonly run: number;
}

export interface Control {
  paused: boolean;
  cancelled: boolean;
  parallelism: number;
}

export interface TrainingOptions {
  /** Heartbeat timeout of a training (a dead worker is noticed after this). */
  readonly heartbeatTimeoutMs: number;
  readonly startToCloseTimeoutMs: number;
  /** Attempts before a crashing candidate is scored 0 as failed. */
  readonly maxAttempts: number;
}

export const DEFAULT_TRAINING_OPTIONS: TrainingOptions = {
  heartbeatTimeoutMs: 60_000,
  startToCloseTimeoutMs: 7 * 24 * 3600_000,
  maxAttempts: 10,
};

export interface SearchWorkflowInput {
  readonly searchId: string;
  readonly spec: SearchSpec;
  readonly training?: TrainingOptions;
  /** Continue-as-new inside a stage after this many history events (besides the server's hint). */
  readonly continueAsNewAfterEvents?: number;
}

export interface StageWorkflowInput {
  readonly searchId: string;
  readonly spec: SearchSpec;
  readonly plan: StagePlan;
  readonly state: StageState;
  readonly control: Control;
  readonly training: TrainingOptions;
  readonly parentId?: string;
  readonly continueAsNewAfterEvents?: number;
  /** Which run of the continue-as-new chain this is (0 for the first). */
  readonly run: number;
}

export interface SearchProgress {
  readonly searchId: string;
  readonly status: SearchStatus;
  readonly stage: SearchPhase;
  readonly evaluated: number;
  readonly planned: number;
  readonly stageEvaluated: number;
  readonly stagePlanned: number;
  readonly best?: CandidateResult;
  readonly leaderboard: readonly CandidateResult[];
  readonly parallelism: number;
  readonly startedAtMs: number;
  readonly elapsedMs: number;
  /** Estimated time to finish, from the mean time per evaluated candidate; absent before the first. */
  readonly etaMs?: number;
  readonly stages: readonly StageOutcome[];
  readonly winner?: CandidateResult;
  readonly final?: CandidateResult;
  /** The plain baseline at the winner's parameter budget, trained like the winner (its yardstick). */
  readonly baseline?: CandidateResult;
  /** The proxy-vs-final rank check, once it is done (specs with `verifyRanking`). */
  readonly rankingCheck?: RankingCheck;
  readonly outcomeRef?: string;
  /** Names of the models the search registered in the inference repository. */
  readonly models?: readonly string[];
  readonly error?: string;
}

export interface SearchWorkflowResult {
  readonly outcome: SearchOutcome;
  readonly progress: SearchProgress;
  readonly outcomeRef?: string;
}

/** The training inputs a candidate needs from the spec: one definition for Temporal and in-process runs. */
export function trainInput(spec: SearchSpec, candidate: CandidateSpec): TrainCandidateInput {
  const budget = paramBudgetOf(spec);
  return {
    candidate,
    preset: spec.preset,
    tasks: spec.tasks,
    steps:
      candidate.stage === 'final' || candidate.stage === 'baseline' || candidate.stage === 'verify'
        ? spec.budget.finalSteps
        : spec.budget.steps,
    checkpointEvery: spec.budget.checkpointEvery,
    ...(spec.dataDir === undefined ? {} : { dataDir: spec.dataDir }),
    ...(spec.data === undefined ? {} : { data: spec.data }),
    ...(spec.teacherRef === undefined ? {} : { teacherRef: spec.teacherRef }),
    ...(spec.supernetRef === undefined ? {} : { supernetRef: spec.supernetRef }),
    ...(spec.budget.fakeStepMillis === undefined ? {} : { fakeStepMillis: spec.budget.fakeStepMillis }),
    method: spec.method,
    // The sharing trainer draws its sub-networks under the same budget as the samplers.
    ...(budget === undefined ? {} : { paramBudget: budget }),
  };
}

/** Scores a candidate whose training failed for good: invalid (non-retryable) or out of attempts. */
export function failedResult(candidate: CandidateSpec, err: unknown): CandidateResult {
  // Through Temporal the failure arrives wrapped in an ActivityFailure; in-process it is direct.
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const invalid = cause instanceof ApplicationFailure && cause.type === INVALID_ARCHITECTURE;
  return {
    id: candidate.id,
    stage: candidate.stage,
    index: candidate.index,
    arch: candidate.arch,
    status: invalid ? 'invalid' : 'failed',
    reward: 0,
    error: cause instanceof Error ? cause.message : String(cause),
  };
}
