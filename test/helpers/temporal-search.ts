/**
 * Shared fixtures of the search e2e tests: a small fast spec, the in-process reference outcome,
 * and checks over the training log that the artifact store keeps.
 */
import type { ArtifactStore } from '../../efficientbert/artifacts';
import { resolveSearchSpec, type SearchOutcome, type SearchSpec } from '../../efficientbert/search';
import { type TrainingLogRecord, trainingLog } from '../../workflows/activities';
import type { TrainingOptions } from '../../workflows/definitions';

export const FAST_SPEC: SearchSpec = resolveSearchSpec({
  preset: 'tiny',
  tasks: ['sst2'],
  seed: 20211,
  parallelism: 2,
  batchSize: 2,
  stages: { stage1: 8, stage2: 4, stage3: 4 },
  budget: { steps: 10, finalSteps: 12, checkpointEvery: 3, fakeStepMillis: 80 },
  topK: 5,
});

export const FAST_TRAINING: TrainingOptions = {
  heartbeatTimeoutMs: 3000,
  startToCloseTimeoutMs: 10 * 60_000,
  maxAttempts: 20,
};

/** The parts of an outcome that must not depend on crashes, retries or continue-as-new. */
export function answerOf(outcome: SearchOutcome) {
  return {
    stages: outcome.stages,
    winner: outcome.winner,
    final: outcome.final,
    cancelled: outcome.cancelled,
  };
}

export async function trainingRecords(store: ArtifactStore, searchId: string): Promise<TrainingLogRecord[]> {
  return store.readLog<TrainingLogRecord>(trainingLog(searchId));
}

/** Every candidate finished exactly once and none was started again after it finished. */
export function assertNoRetraining(records: readonly TrainingLogRecord[]): { finished: number } {
  const finishedAt = new Map<string, number>();
  records.forEach((r, i) => {
    if (r.event === 'finish') {
      if (finishedAt.has(r.candidateId)) throw new Error(`${r.candidateId} finished twice`);
      finishedAt.set(r.candidateId, i);
    }
  });
  records.forEach((r, i) => {
    const f = finishedAt.get(r.candidateId);
    if (r.event === 'start' && f !== undefined && i > f)
      throw new Error(`${r.candidateId} trained again after finishing`);
  });
  return { finished: finishedAt.size };
}

/** Polls until `pred` holds on the training log (for timing a crash mid-training). */
export async function waitForRecords(
  store: ArtifactStore,
  searchId: string,
  pred: (records: TrainingLogRecord[]) => boolean,
  timeoutMs = 60_000,
): Promise<TrainingLogRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = await trainingRecords(store, searchId);
    if (pred(records)) return records;
    if (Date.now() > deadline) throw new Error(`training log condition not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A candidate with a checkpoint but no finish yet, after at least `minFinished` candidates finished. */
export function midTraining(records: readonly TrainingLogRecord[], minFinished: number): string | undefined {
  const finished = new Set(records.filter((r) => r.event === 'finish').map((r) => r.candidateId));
  if (finished.size < minFinished) return undefined;
  const ckpt = records.find((r) => r.event === 'checkpoint' && !finished.has(r.candidateId));
  return ckpt?.candidateId;
}
