/**
 * A worker SIGKILLed in the middle of a real (tfjs) training: the warm-up resumes from its last
 * checkpoint on a new worker, nothing finished is trained again, and the search ends with the same
 * leaderboard and winner as an uninterrupted in-process run with the same seed. The trainings are
 * the tiny preset's cut to a few steps, so the two searches take about a minute each.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { DirArtifactStore } from '../../efficientbert/artifacts';
import { methodOf, PLAN_PRESETS, type SearchSpec } from '../../efficientbert/search';
import { checkpointPointer } from '../../workflows/activities';
import { TASK_QUEUE } from '../../workflows/definitions';
import { runSearchInProcess } from '../../workflows/in-process';
import type { searchWorkflow } from '../../workflows/search';
import { SHARED_DATA } from '../helpers/shared-data';
import {
  answerOf,
  assertNoRetraining,
  FAST_TRAINING,
  trainingRecords,
  waitForRecords,
} from '../helpers/temporal-search';
import { TestTemporalServer } from '../helpers/temporal-server';
import { bundleWorkflowsToFile, WorkerProcess } from '../helpers/temporal-worker';

const tiny = methodOf(PLAN_PRESETS.tiny);
const SPEC: SearchSpec = {
  preset: 'tiny',
  tasks: ['sst2'],
  seed: 7,
  parallelism: 2,
  batchSize: 2,
  stages: { stage1: 2, stage2: 2, stage3: 2 },
  // The kd trainer takes its steps from `method`; checkpoints every 20 of them.
  budget: { steps: 1, finalSteps: 1, checkpointEvery: 20 },
  dataDir: SHARED_DATA,
  topK: 5,
  method: {
    ...tiny,
    warmup: {
      ...tiny.warmup,
      teacher: { ...tiny.warmup.teacher, steps: 60 },
      pretrainSteps: 20,
      finetuneSteps: 20,
      batchSize: 16,
      trainFraction: 0.05,
    },
    proxy: {
      ...tiny.proxy,
      pretrainSteps: 8,
      finetuneSteps: 10,
      batchSize: 8,
      trainFraction: 0.02,
      heldOutFraction: 0.01,
    },
    weightSharing: {
      ...tiny.weightSharing,
      pretrainSteps: 8,
      finetuneSteps: 10,
      batchSize: 8,
      trainFraction: 0.02,
    },
    scoring: { ...tiny.scoring, heldOutFraction: 0.01 },
    final: { ...tiny.final, pretrainSteps: 8, finetuneSteps: 10, batchSize: 8 },
  },
};

/**
 * The exported package lives under `<search id>-<task>/`, so its ref (and the result record's that
 * holds it) differ between two searches with equal weights; the weights' ref must not.
 */
function comparable(answer: ReturnType<typeof answerOf>) {
  if (!answer.final) return answer;
  const { modelRef: _m, resultRef: _r, ...final } = answer.final;
  return { ...answer, final };
}

describe('a real-trainer search survives a SIGKILLed worker', { timeout: 900_000 }, () => {
  let root: string;
  let server: TestTemporalServer;
  let store: DirArtifactStore;
  let bundlePath: string;
  let worker: WorkerProcess;
  let connection: Connection;
  let client: Client;
  let reference: ReturnType<typeof answerOf>;

  const startWorker = () =>
    WorkerProcess.start({ address: server.address, artifactsRoot: store.root, bundlePath, trainer: 'kd' });

  before(async () => {
    root = await fs.mkdtemp(path.join(tmpdir(), 'eb-kd-crash-'));
    store = new DirArtifactStore(path.join(root, 'artifacts'));
    // The reference first, alone: two tfjs searches at once would only slow each other down.
    reference = answerOf(
      await runSearchInProcess('reference', SPEC, {
        store: new DirArtifactStore(path.join(root, 'ref-artifacts')),
        trainer: 'kd',
      }),
    );
    [server, bundlePath] = await Promise.all([TestTemporalServer.start(), bundleWorkflowsToFile()]);
    worker = await startWorker();
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection });
  });

  after(async () => {
    await worker?.kill('SIGTERM');
    await connection?.close();
    await server?.stop();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('resumes the warm-up from its last checkpoint and ends with the uninterrupted answer', async () => {
    const searchId = 'kd-worker-crash';
    const handle = await client.workflow.start<typeof searchWorkflow>('searchWorkflow', {
      workflowId: searchId,
      taskQueue: TASK_QUEUE,
      args: [{ searchId, spec: SPEC, training: FAST_TRAINING }],
    });
    await waitForRecords(
      store,
      searchId,
      (r) => r.some((x) => x.candidateId === 'warmup' && x.event === 'checkpoint'),
      300_000,
    );
    await worker.kill('SIGKILL');
    const pointer = await store.getPointer(checkpointPointer(searchId, 'warmup'));
    const lastCkpt = (await store.getJson<{ step: number }>(pointer!)).step;
    assert.ok(lastCkpt > 0 && lastCkpt % 20 === 0, `checkpoint at step ${lastCkpt}`);
    worker = await startWorker();
    const result = await handle.result();
    assert.deepEqual(comparable(answerOf(result.outcome)), comparable(reference));
    assert.equal(result.outcome.final?.status, 'ok');
    const records = await trainingRecords(store, searchId);
    assertNoRetraining(records);
    const starts = records.filter((r) => r.candidateId === 'warmup' && r.event === 'start');
    assert.ok(starts.length >= 2, 'the warm-up was started again on the new worker');
    assert.equal(starts[starts.length - 1]!.step, lastCkpt, 'resumed from the last checkpoint');
  });
});
