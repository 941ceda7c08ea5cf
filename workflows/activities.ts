/**
 * Activities (Node side). `trainCandidate` runs on the `efficientbert-gpu` task queue, one per GPU;
 * the others are light bookkeeping on `efficientbert`.
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ApplicationFailure, activityInfo, CancelledFailure, Context, heartbeat } from '@temporalio/activity';
import {
  type ArtifactStore,
  publishRepositoryArtifact,
  STORE_MODEL_REPOSITORY,
} from '../efficientbert/artifacts';
import type { CandidateResult, CandidateSpec, SearchOutcome } from '../efficientbert/search';
import { checkArchitecture } from '../efficientbert/space/check';
import { PRESETS } from '../efficientbert/space/presets';
import {
  isTrainerMessage,
  type ResumePoint,
  TRAINER_PROTOCOL,
  type TrainerJob,
  type TrainerResult,
  type TrainerToParent,
  type TrainingHeartbeat,
} from '../services/worker/trainer/protocol';
import { INVALID_ARCHITECTURE } from './definitions';

export const TRAINER_CRASHED = 'TrainerCrashed';

/** What the workflow sends: the trainer's job less what the worker adds (store, resume point). */
export type TrainCandidateInput = Omit<TrainerJob, 'protocol' | 'artifactsRoot' | 'resume'>;

/** One line of the training log `trainings/<searchId>` in the artifact store. */
export interface TrainingLogRecord {
  readonly candidateId: string;
  readonly event: 'start' | 'checkpoint' | 'finish' | 'reused' | 'invalid' | 'cancelled' | 'crashed';
  readonly step: number;
  readonly attempt: number;
  readonly pid: number;
  readonly checkpointRef?: string;
  /** The trainer child's pid (checkpoint records). */
  readonly childPid?: number;
}

export function resultPointer(searchId: string, candidateId: string): string {
  return `candidates/${searchId}/${candidateId}/result`;
}

export function checkpointPointer(searchId: string, candidateId: string): string {
  return `candidates/${searchId}/${candidateId}/checkpoint`;
}

export function trainingLog(searchId: string): string {
  return `trainings/${searchId}`;
}

export type TrainerName = 'kd' | 'fake';

export interface ActivityDeps {
  readonly store: ArtifactStore;
  /** Which trainer the child runs: `kd` (tfjs warm-up KD) or `fake` (deterministic stand-in). */
  readonly trainer: TrainerName;
  /** Trainer child entry (a .ts file run with `node --import tsx`). */
  readonly trainerEntry?: string;
  /** How often to heartbeat while the child is quiet (ms). */
  readonly heartbeatEveryMs?: number;
  /**
   * Where the search's winner is published for the inference server: a directory it watches, or
   * `store` (STORE_MODEL_REPOSITORY): a record in the artifact store that servers pull from.
   */
  readonly modelRepository?: string;
}

export interface PublishModelsInput {
  readonly searchId: string;
  /** A directory artifact laid out as a model repository: `<name>/<version>/{model.onnx, ...}`. */
  readonly modelRef: string;
}

/** Activities bound to an artifact store; the worker registers the returned object. */
export function createActivities(deps: ActivityDeps) {
  const { store } = deps;
  const trainerEntry =
    deps.trainerEntry ?? path.join(__dirname, '..', 'services', 'worker', 'trainer', 'child.ts');
  const heartbeatEveryMs = deps.heartbeatEveryMs ?? 1000;

  async function log(searchId: string, rec: Omit<TrainingLogRecord, 'attempt' | 'pid'>): Promise<void> {
    let attempt = 0;
    try {
      attempt = activityInfo().attempt;
    } catch {
      // outside an activity (in-process runner)
    }
    await store.appendLog(trainingLog(searchId), { ...rec, attempt, pid: process.pid });
  }

  /** The latest of: the previous attempt's heartbeat, and the checkpoint pointer (written first). */
  async function resumePoint(c: CandidateSpec): Promise<ResumePoint | undefined> {
    const options: ResumePoint[] = [];
    try {
      const details = activityInfo().heartbeatDetails as TrainingHeartbeat | undefined;
      if (details?.checkpointRef) options.push({ step: details.step, checkpointRef: details.checkpointRef });
    } catch {
      // outside an activity (in-process runner)
    }
    const ref = await store.getPointer(checkpointPointer(c.searchId, c.id));
    if (ref) {
      const ckpt = await store.getJson<{ step?: number }>(ref);
      if (typeof ckpt.step === 'number') options.push({ step: ckpt.step, checkpointRef: ref });
    }
    let best: ResumePoint | undefined;
    for (const o of options) {
      if ((!best || o.step > best.step) && (await store.has(o.checkpointRef))) best = o;
    }
    return best;
  }

  /**
   * Trains and scores one candidate in a child process. Idempotent per candidate id: a stored
   * result is returned as is. Resumes from the last heartbeated checkpoint after a retry.
   */
  async function trainCandidate(input: TrainCandidateInput): Promise<CandidateResult> {
    const c = input.candidate;
    const done = await store.getPointer(resultPointer(c.searchId, c.id));
    if (done) {
      await log(c.searchId, { candidateId: c.id, event: 'reused', step: input.steps });
      return store.getJson<CandidateResult>(done);
    }
    // The warm-up trains the whole supernet: it has no architecture of its own.
    const problem =
      c.stage === 'warmup' ? undefined : checkArchitecture(c.arch, PRESETS[input.preset].layers);
    if (problem) {
      await log(c.searchId, { candidateId: c.id, event: 'invalid', step: 0 });
      throw ApplicationFailure.nonRetryable(`invalid architecture ${c.id}: ${problem}`, INVALID_ARCHITECTURE);
    }
    const resume = await resumePoint(c);
    const job: TrainerJob = {
      ...input,
      protocol: TRAINER_PROTOCOL,
      artifactsRoot: store.location,
      ...(resume === undefined ? {} : { resume }),
    };
    await log(c.searchId, { candidateId: c.id, event: 'start', step: resume?.step ?? 0 });
    let childPid: number | undefined;
    const trained = await runTrainerChild(job, async (m) => {
      if (m.type === 'started') childPid = m.pid;
      if (m.type === 'progress' && m.checkpointRef) {
        await store.setPointer(checkpointPointer(c.searchId, c.id), m.checkpointRef);
        await log(c.searchId, {
          candidateId: c.id,
          event: 'checkpoint',
          step: m.step,
          checkpointRef: m.checkpointRef,
          ...(childPid === undefined ? {} : { childPid }),
        });
      }
    });
    const { result: r } = trained;
    if (trained.error) {
      const { kind, message } = trained.error;
      if (kind === 'invalid-architecture') {
        await log(c.searchId, { candidateId: c.id, event: 'invalid', step: 0 });
        throw ApplicationFailure.nonRetryable(
          `invalid architecture ${c.id}: ${message}`,
          INVALID_ARCHITECTURE,
        );
      }
      if (kind === 'nan-loss') {
        // The reference code scores a diverged candidate 0; that is a result, not a failure.
        return finish(c, { ...base(c), status: 'failed', reward: 0, error: message });
      }
      throw ApplicationFailure.retryable(`trainer failed for ${c.id}: ${message}`, TRAINER_CRASHED);
    }
    if (!r)
      throw ApplicationFailure.retryable(`trainer for ${c.id} exited without a result`, TRAINER_CRASHED);
    return finish(c, {
      ...base(c),
      status: 'ok',
      reward: r.reward,
      steps: r.steps,
      metrics: r.metrics,
      ...(r.checkpointRef ? { checkpointRef: r.checkpointRef } : {}),
      ...(r.teacherRef ? { teacherRef: r.teacherRef } : {}),
      ...(r.modelRef ? { modelRef: r.modelRef } : {}),
    });
  }

  function base(c: CandidateSpec) {
    return { id: c.id, stage: c.stage, index: c.index, arch: c.arch };
  }

  async function finish(c: CandidateSpec, result: CandidateResult): Promise<CandidateResult> {
    const detailRef = await store.putJson(result);
    const withRef: CandidateResult = { ...result, resultRef: detailRef };
    const ref = await store.putJson(withRef);
    await store.setPointer(resultPointer(c.searchId, c.id), ref);
    await log(c.searchId, { candidateId: c.id, event: 'finish', step: result.steps ?? 0 });
    return withRef;
  }

  /** Forks the trainer, relays progress as heartbeats, kills it on cancellation. */
  function runTrainerChild(
    job: TrainerJob,
    onMessage: (m: TrainerToParent) => Promise<void>,
  ): Promise<{ result?: TrainerResult; error?: { kind: string; message: string } }> {
    let ctx: Context | undefined;
    try {
      ctx = Context.current();
    } catch {
      ctx = undefined;
    }
    let last: TrainingHeartbeat = job.resume ?? { step: 0 };
    const beat = () => {
      if (ctx) heartbeat(last);
    };
    return new Promise((resolve, reject) => {
      const child = fork(trainerEntry, [], {
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, EFFICIENTBERT_TRAINER: deps.trainer },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'json',
      });
      let result: TrainerResult | undefined;
      let error: { kind: string; message: string } | undefined;
      let chain = Promise.resolve();
      let settled = false;
      const timer = setInterval(beat, heartbeatEveryMs);
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearInterval(timer);
        fn();
      };
      let cancelled = false;
      const onCancel = (err: unknown) => {
        cancelled = true;
        clearInterval(timer);
        child.kill('SIGKILL');
        const c = job.candidate;
        // Let the message being handled finish (it may be writing a pointer), then report.
        chain
          .catch(() => undefined)
          .then(() => log(c.searchId, { candidateId: c.id, event: 'cancelled', step: last.step }))
          .finally(() =>
            settle(() => reject(err instanceof CancelledFailure ? err : new CancelledFailure(String(err)))),
          );
      };
      ctx?.cancelled.catch(onCancel);
      child.on('message', (m: unknown) => {
        if (!isTrainerMessage(m) || cancelled) return;
        if (m.type === 'progress' && m.checkpointRef) last = { step: m.step, checkpointRef: m.checkpointRef };
        if (m.type === 'result') result = m.result;
        if (m.type === 'error') error = { kind: m.kind, message: m.message };
        chain = chain.then(() => (cancelled ? undefined : onMessage(m).then(beat)));
      });
      child.on('error', (err) => settle(() => reject(err)));
      child.on('exit', (code, signal) => {
        if (cancelled) return; // onCancel reports
        chain.then(
          () =>
            settle(() => {
              if (result || error) resolve({ ...(result ? { result } : {}), ...(error ? { error } : {}) });
              else resolve({ error: { kind: 'runtime', message: `trainer exited with ${signal ?? code}` } });
            }),
          (err) => settle(() => reject(err)),
        );
      });
      child.send({ type: 'job', job });
    });
  }

  /**
   * Light: makes the final training's model packages servable. In a directory repository each
   * version directory is staged beside its target and renamed into place, so the server's poller
   * never sees half a model; a version already there is left alone (a retried activity is a
   * no-op). In the store, each version is recorded once in the model registry (model-registry.ts).
   */
  async function publishModels(input: PublishModelsInput): Promise<string[]> {
    const repo = deps.modelRepository;
    if (!repo) throw ApplicationFailure.nonRetryable('the worker has no model repository configured');
    if (repo === STORE_MODEL_REPOSITORY)
      return publishRepositoryArtifact(store, input.modelRef, input.searchId);
    const staging = path.join(repo, `.staging-${input.searchId.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
    await fs.rm(staging, { recursive: true, force: true });
    const manifest = await store.getDir(input.modelRef, staging);
    const versions = new Set(manifest.entries.map((e) => e.path.split('/').slice(0, 2).join('/')));
    const names = new Set<string>();
    for (const version of versions) {
      const [name, number] = version.split('/');
      if (!name || !number || !/^[0-9]+$/.test(number)) continue;
      const target = path.join(repo, name, number);
      names.add(name);
      if (await exists(target)) continue;
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.rename(path.join(staging, name, number), target);
    }
    await fs.rm(staging, { recursive: true, force: true });
    return [...names].sort();
  }

  /** Light: stores a finished search's outcome and points `searches/<id>/outcome` at it. */
  async function storeSearchOutcome(outcome: SearchOutcome): Promise<string> {
    const ref = await store.putJson(outcome);
    await store.setPointer(`searches/${outcome.searchId}/outcome`, ref);
    return ref;
  }

  return { trainCandidate, storeSearchOutcome, publishModels };
}

export type Activities = ReturnType<typeof createActivities>;

async function exists(file: string): Promise<boolean> {
  try {
    await fs.stat(file);
    return true;
  } catch {
    return false;
  }
}
