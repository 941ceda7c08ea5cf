import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { DirArtifactStore } from '../../efficientbert/artifacts';
import type { SearchOutcome } from '../../efficientbert/search/driver';
import { checkpointPointer } from '../../workflows/activities';
import { type SearchWorkflowInput, STAGE_ATTR, STATUS_ATTR, TASK_QUEUE } from '../../workflows/definitions';
import { runSearchInProcess } from '../../workflows/in-process';
import type { searchWorkflow } from '../../workflows/search';
import {
  answerOf,
  assertNoRetraining,
  FAST_SPEC,
  FAST_TRAINING,
  midTraining,
  trainingRecords,
  waitForRecords,
} from '../helpers/temporal-search';
import { TestTemporalServer } from '../helpers/temporal-server';
import { bundleWorkflowsToFile, WorkerProcess } from '../helpers/temporal-worker';

describe('durable search on a real Temporal dev server', { timeout: 600_000 }, () => {
  let server: TestTemporalServer;
  let root: string;
  let store: DirArtifactStore;
  let bundlePath: string;
  let worker: WorkerProcess;
  let connection: Connection;
  let client: Client;
  let reference: ReturnType<typeof answerOf>;

  const startWorker = () =>
    WorkerProcess.start({ address: server.address, artifactsRoot: store.root, bundlePath });
  const start = (searchId: string, extra: Partial<SearchWorkflowInput> = {}) =>
    client.workflow.start<typeof searchWorkflow>('searchWorkflow', {
      workflowId: searchId,
      taskQueue: TASK_QUEUE,
      args: [{ searchId, spec: FAST_SPEC, training: FAST_TRAINING, ...extra }],
      typedSearchAttributes: [
        { key: STATUS_ATTR, value: 'RUNNING' },
        { key: STAGE_ATTR, value: 'pending' },
      ],
    });

  before(async () => {
    root = await fs.mkdtemp(path.join(tmpdir(), 'eb-e2e-'));
    store = new DirArtifactStore(path.join(root, 'artifacts'));
    const [srv, bundle, ref] = await Promise.all([
      TestTemporalServer.start(),
      bundleWorkflowsToFile(),
      runSearchInProcess('reference', FAST_SPEC, {
        store: new DirArtifactStore(path.join(root, 'ref-artifacts')),
        trainer: 'fake',
      }),
    ]);
    server = srv;
    bundlePath = bundle;
    reference = answerOf(ref);
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

  it('runs all stages and the final training, with the same answer as the in-process run', async () => {
    const handle = await start('search-plain');
    const result = await handle.result();
    assert.deepEqual(answerOf(result.outcome), reference);
    assert.equal(result.outcome.stages.length, 3);
    assert.equal(result.progress.status, 'COMPLETED');
    assert.equal(result.progress.evaluated, result.progress.planned);
    assert.deepEqual(await store.getJson<SearchOutcome>(result.outcomeRef!), result.outcome);
    const { finished } = assertNoRetraining(await trainingRecords(store, 'search-plain'));
    // The candidates (less stage 2's first: stage 1's winner, carried over untrained), plus the
    // warm-up, the weight-sharing supernet, the final training and the baseline's.
    assert.equal(finished, 19);
    const desc = await handle.describe();
    assert.equal(desc.typedSearchAttributes.get(STATUS_ATTR), 'COMPLETED');
    assert.equal(desc.typedSearchAttributes.get(STAGE_ATTR), 'done');
  });

  it('continues as new inside a stage under a low event threshold and keeps every result', async () => {
    const handle = await start('search-can', { continueAsNewAfterEvents: 10 });
    const result = await handle.result();
    assert.deepEqual(answerOf(result.outcome), reference);
    for (const stage of ['stage1', 'stage2', 'stage3']) {
      let continued = 0;
      for await (const wf of client.workflow.list({ query: `WorkflowId = 'search-can/${stage}'` })) {
        if (wf.status.name === 'CONTINUED_AS_NEW') continued++;
      }
      assert.ok(continued >= 1, `${stage} should have continued as new, saw ${continued} runs do so`);
    }
  });

  it('survives a SIGKILLed worker: resumes from the last checkpoint, retrains nothing finished', async () => {
    const searchId = 'search-worker-crash';
    const handle = await start(searchId);
    let victim: string | undefined;
    const before = await waitForRecords(store, searchId, (r) => (victim = midTraining(r, 3)) !== undefined);
    await worker.kill('SIGKILL');
    const loggedCkpt = Math.max(
      ...(await trainingRecords(store, searchId))
        .filter((r) => r.candidateId === victim && r.event === 'checkpoint')
        .map((r) => r.step),
    );
    // The checkpoint pointer is written before the log line: it is the last checkpoint.
    const pointer = await store.getPointer(checkpointPointer(searchId, victim!));
    const lastCkpt = (await store.getJson<{ step: number }>(pointer!)).step;
    assert.ok(lastCkpt >= loggedCkpt && lastCkpt > 0);
    worker = await startWorker();
    const result = await handle.result();
    assert.deepEqual(answerOf(result.outcome), reference);
    const records = await trainingRecords(store, searchId);
    assertNoRetraining(records);
    const starts = records.filter((r) => r.candidateId === victim && r.event === 'start');
    assert.ok(
      starts.length >= 2,
      `${victim} should have been started again (${before.length} records before)`,
    );
    assert.equal(starts[starts.length - 1]!.step, lastCkpt, 'resumed from the last checkpoint');
  });

  it('survives a SIGKILLed and restarted Temporal server mid-search with the same answer', async () => {
    const searchId = 'search-server-crash';
    const handle = await start(searchId);
    await waitForRecords(store, searchId, (r) => midTraining(r, 3) !== undefined);
    await server.kill();
    await new Promise((r) => setTimeout(r, 1500));
    await server.restart();
    const result = await handle.result();
    assert.deepEqual(answerOf(result.outcome), reference);
    assertNoRetraining(await trainingRecords(store, searchId));
  });

  it('shuts a worker down gracefully on SIGTERM, killing its running trainer', async () => {
    const searchId = 'search-sigterm';
    const handle = await start(searchId);
    let childPid: number | undefined;
    await waitForRecords(store, searchId, (records) => {
      const victim = midTraining(records, 1);
      childPid = records.find((r) => r.candidateId === victim && r.childPid)?.childPid;
      return childPid !== undefined;
    });
    const t0 = Date.now();
    await worker.kill('SIGTERM');
    assert.ok(Date.now() - t0 < 15_000, `shutdown took ${Date.now() - t0} ms`);
    assert.equal(worker.child.exitCode, 0, worker.log);
    assert.match(worker.log, /\[worker\] stopped/);
    assert.throws(() => process.kill(childPid!, 0), 'the trainer child is gone');
    worker = await startWorker();
    await handle.terminate('test over');
  });
});
