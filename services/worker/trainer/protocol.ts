/**
 * The contract between a training activity (in the worker) and its trainer child process.
 * The activity forks the child, sends exactly one `job` message over the IPC channel, and the
 * child answers with `started`, any number of `progress` messages (one per checkpoint at least),
 * then exactly one `result` or `error`, and exits. The child exits on its own when the IPC channel
 * closes (the worker died), so a killed worker never leaves a trainer running.
 *
 * The fake trainer (fake.ts) and the real tfjs trainer (kd.ts) implement the same `Trainer`.
 */
import type { PresetName } from '../../../efficientbert/core/presets';
import type { CandidateSpec, MethodSettings } from '../../../efficientbert/search';
import type { UserDataSpec } from '../../../efficientbert/search/data-spec';
import type { ParamBudget } from '../../../efficientbert/space/sample';

export const TRAINER_PROTOCOL = 'efficientbert.trainer/v1' as const;

export interface TrainerJob {
  readonly protocol: typeof TRAINER_PROTOCOL;
  readonly candidate: CandidateSpec;
  readonly preset: PresetName;
  readonly tasks: readonly string[];
  readonly dataDir?: string;
  /** The user's dataset (refs into the artifact store), when the search brings one. */
  readonly data?: UserDataSpec;
  readonly teacherRef?: string;
  readonly supernetRef?: string;
  /** Fake trainer: steps to run (the KD trainer's come from `method`). */
  readonly steps: number;
  /** A checkpoint is written every this many steps (counted over all phases of the training). */
  readonly checkpointEvery: number;
  /** The trainings' settings, complete (filled where the request was decoded). */
  readonly method: MethodSettings;
  /**
   * The search's parameter budget (its `paramRange`, in parameters): the sharing trainer draws its
   * sub-networks within it, as the stage samplers do. Absent: no budget.
   */
  readonly paramBudget?: ParamBudget;
  /** Fake trainer: wall time per step. */
  readonly fakeStepMillis?: number;
  /** Location (directory or s3:// URL) of the artifact store the child reads inputs from and writes checkpoints to. */
  readonly artifactsRoot: string;
  /** Present when resuming: the last checkpoint a previous attempt reported. */
  readonly resume?: ResumePoint;
}

export interface ResumePoint {
  readonly step: number;
  readonly checkpointRef: string;
}

/** What a training activity heartbeats; the next attempt resumes from it. */
export type TrainingHeartbeat = ResumePoint | { readonly step: 0; readonly checkpointRef?: undefined };

export interface TrainerResult {
  /** The search reward: held-out score (final: the dev score). */
  readonly reward: number;
  readonly steps: number;
  /** The trained weights, where a later step needs them (supernets, the final model). */
  readonly checkpointRef?: string;
  /** Warm-up: the teacher it trained or loaded. */
  readonly teacherRef?: string;
  /** Final: the exported model packages. */
  readonly modelRef?: string;
  readonly metrics: Readonly<Record<string, number>>;
}

export type TrainerErrorKind = 'invalid-architecture' | 'nan-loss' | 'runtime';

export type ParentToTrainer = { readonly type: 'job'; readonly job: TrainerJob };

export type TrainerToParent =
  | { readonly type: 'started'; readonly fromStep: number; readonly pid: number; readonly backend: string }
  | {
      readonly type: 'progress';
      readonly step: number;
      readonly totalSteps: number;
      /** Set when this step wrote a checkpoint. */
      readonly checkpointRef?: string;
      readonly metrics?: Readonly<Record<string, number>>;
    }
  | { readonly type: 'result'; readonly result: TrainerResult }
  | { readonly type: 'error'; readonly kind: TrainerErrorKind; readonly message: string };

/** A trainer body: runs the job, reporting through `emit`; resolves with the result. */
export type Trainer = (job: TrainerJob, emit: (msg: TrainerToParent) => void) => Promise<TrainerResult>;

export class TrainerError extends Error {
  constructor(
    readonly kind: TrainerErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'TrainerError';
  }
}

export function isTrainerMessage(m: unknown): m is TrainerToParent {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}
