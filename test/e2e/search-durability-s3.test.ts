import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { DirArtifactStore, openArtifactStore, S3ArtifactStore } from '../../efficientbert/artifacts';
import { STAGE_ATTR, STATUS_ATTR, TASK_QUEUE } from '../../workflows/definitions';
import { runSearchInProcess } from '../../workflows/in-process';
import type { searchWorkflow } from '../../workflows/search';
import { TestMinio } from '../helpers/minio';
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

/** Every object under objects/ must hash to its key: no partial upload is ever visible under a ref. */
async function assertEveryObjectVerifies(store: S3ArtifactStore): Promise<number> {
  let token: string | undefined;
  let count = 0;
  do {
    const page = await store.client.send(
      new ListObjectsV2Command({
        Bucket: store.where.bucket,
        Prefix: `${store.where.prefix}objects/`,
        ContinuationToken: token,
      }),
    );
    for (const o of page.Contents ?? []) {
      await store.getBytes(`sha256:${path.basename(o.Key!)}`);
      count++;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return count;
}

describe('durable search with its artifacts in MinIO', { timeout: 600_000 }, () => {
  let minio: TestMinio;
  let server: TestTemporalServer;
  let root: string;
  let store: S3ArtifactStore;
  let bundlePath: string;
  let worker: WorkerProcess;
  let connection: Connection;
  let client: Client;
  let reference: ReturnType<typeof answerOf>;

  const startWorker = () =>
    WorkerProcess.start({ address: server.address, artifactsRoot: store.location, bundlePath });

  before(async () => {
    root = await fs.mkdtemp(path.join(tmpdir(), 'eb-e2e-s3-'));
    minio = await TestMinio.start();
    // The worker processes inherit these: the standard AWS variables plus the MinIO endpoint.
    Object.assign(process.env, minio.env);
    const opened = openArtifactStore(`s3://${await minio.createBucket()}/artifacts`);
    assert.ok(opened instanceof S3ArtifactStore);
    store = opened;
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
    await minio?.stop();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('survives a worker SIGKILLed mid-training (while it writes checkpoints) with the same answer', async () => {
    const searchId = 'search-s3-worker-crash';
    const handle = await client.workflow.start<typeof searchWorkflow>('searchWorkflow', {
      workflowId: searchId,
      taskQueue: TASK_QUEUE,
      args: [{ searchId, spec: FAST_SPEC, training: FAST_TRAINING }],
      typedSearchAttributes: [
        { key: STATUS_ATTR, value: 'RUNNING' },
        { key: STAGE_ATTR, value: 'pending' },
      ],
    });
    let victim: string | undefined;
    await waitForRecords(store, searchId, (r) => (victim = midTraining(r, 3)) !== undefined);
    await worker.kill('SIGKILL');
    assert.ok((await assertEveryObjectVerifies(store)) > 0, 'the killed worker had stored objects');
    worker = await startWorker();
    const result = await handle.result();
    assert.deepEqual(answerOf(result.outcome), reference);
    const records = await trainingRecords(store, searchId);
    assertNoRetraining(records);
    const starts = records.filter((r) => r.candidateId === victim && r.event === 'start');
    assert.ok(starts.length >= 2, `${victim} should have been started again`);
    assert.deepEqual((await store.getJson(result.outcomeRef!)) as unknown, result.outcome);
    await assertEveryObjectVerifies(store);
  });
});
