/**
 * Records workflow histories from real runs into test/fixtures/histories/ for the replay tests
 * (test/unit/workflows/replay.test.ts). Run after a deliberate workflow change, then commit:
 *   node --import tsx test/helpers/temporal-record-histories.ts
 * Covers: a whole search (parent + every stage run, with continue-as-new), a search that is
 * paused, resumed, re-parallelized and cancelled, and a search that checks its ranking
 * (`verifyRanking`, the patched('verify-ranking') branch). pre-baseline-search-run0.json is a whole search
 * recorded before searches trained a baseline (patched('train-baseline')); it is kept, not re-recorded.
 */
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { resolveSearchSpec, type SearchSpec } from '../../efficientbert/search';
import {
  cancelSignal,
  pauseSignal,
  resumeSignal,
  type SearchWorkflowInput,
  setParallelismUpdate,
  TASK_QUEUE,
} from '../../workflows/definitions';
import { FAST_TRAINING } from './temporal-search';
import { TestTemporalServer } from './temporal-server';
import { bundleWorkflowsToFile, WorkerProcess } from './temporal-worker';

export const HISTORY_DIR = path.join(__dirname, '..', 'fixtures', 'histories');

const SPEC: SearchSpec = resolveSearchSpec({
  preset: 'tiny',
  tasks: ['sst2'],
  seed: 3,
  parallelism: 2,
  batchSize: 2,
  stages: { stage1: 10, stage2: 2, stage3: 2 },
  budget: { steps: 3, finalSteps: 4, checkpointEvery: 2, fakeStepMillis: 20 },
  topK: 3,
});

async function saveAll(client: Client, searchId: string, prefix: string): Promise<string[]> {
  const written: string[] = [];
  const ids = [searchId, `${searchId}/stage1`, `${searchId}/stage2`, `${searchId}/stage3`];
  for (const workflowId of ids) {
    let run = 0;
    const runs = [];
    for await (const wf of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(wf);
    runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
    for (const wf of runs) {
      const history = await client.workflow.getHandle(workflowId, wf.runId).fetchHistory();
      const name = `${prefix}-${workflowId.split('/')[1] ?? 'search'}-run${run++}.json`;
      await fs.writeFile(path.join(HISTORY_DIR, name), `${historyToJSON(history)}\n`);
      written.push(name);
    }
  }
  return written;
}

async function main(): Promise<void> {
  const root = await fs.mkdtemp(path.join(tmpdir(), 'eb-record-'));
  const server = await TestTemporalServer.start();
  const bundlePath = await bundleWorkflowsToFile();
  const worker = await WorkerProcess.start({
    address: server.address,
    artifactsRoot: path.resolve(root, 'artifacts'),
    bundlePath,
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  try {
    await fs.mkdir(HISTORY_DIR, { recursive: true });
    // Only what this run records is replaced: histories of older workflow versions
    // (pre-baseline-*.json: a search before the baseline patch) stay, so their replay keeps
    // guarding the patched() branches.
    for (const f of await fs.readdir(HISTORY_DIR))
      if (/^(full|control|verify)-.*\.json$/.test(f)) await fs.rm(path.join(HISTORY_DIR, f));
    const start = (searchId: string, extra: Partial<SearchWorkflowInput> = {}) =>
      client.workflow.start('searchWorkflow', {
        workflowId: searchId,
        taskQueue: TASK_QUEUE,
        args: [{ searchId, spec: SPEC, training: FAST_TRAINING, ...extra } satisfies SearchWorkflowInput],
      });
    // Slow enough that the controls land in the middle of stage 1.
    const slow: SearchSpec = {
      ...SPEC,
      stages: { ...SPEC.stages, stage1: 12 },
      budget: { ...SPEC.budget, fakeStepMillis: 250 },
    };
    const full = await start('replay-full', { continueAsNewAfterEvents: 12 });
    await full.result();
    const written = await saveAll(client, 'replay-full', 'full');

    const ctl = await start('replay-control', { spec: slow });
    await new Promise((r) => setTimeout(r, 1500));
    await ctl.signal(pauseSignal);
    await new Promise((r) => setTimeout(r, 1500));
    await ctl.executeUpdate(setParallelismUpdate, { args: [1] });
    await ctl.signal(resumeSignal);
    await new Promise((r) => setTimeout(r, 1000));
    await ctl.signal(cancelSignal, 'recording');
    await ctl.result();
    written.push(...(await saveAll(client, 'replay-control', 'control')));

    const verify = await start('replay-verify', { spec: { ...SPEC, verifyRanking: 2 } });
    await verify.result();
    written.push(...(await saveAll(client, 'replay-verify', 'verify')));
    console.log(JSON.stringify({ written }, null, 1));
  } finally {
    await connection.close();
    await worker.kill('SIGTERM');
    await server.stop();
    await fs.rm(root, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
