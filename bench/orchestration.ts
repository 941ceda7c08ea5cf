/**
 * Claim: running a search durably on Temporal gives the same answer as running the same control
 * flow in-process, at a bounded orchestration overhead per candidate.
 *
 * Starts a private Temporal dev server (SQLite, temp dir) and a worker in this process, runs the
 * same seeded search (fake trainer) in-process and as a Temporal workflow, and prints one JSON
 * object: wall times, overhead per candidate, and whether the winners and leaderboards match.
 *
 *   node --import tsx bench/orchestration.ts [--candidates 8] [--batch 4] [--parallelism 2]
 *     [--steps 10] [--step-ms 50] [--seed 1]
 */
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { DirArtifactStore } from '../efficientbert/artifacts';
import { resolveSearchSpec, type SearchOutcome } from '../efficientbert/search';
import { startDevServer, stopDevServer } from '../services/dev/temporal-dev';
import { startWorkers } from '../services/worker/main';
import type { SearchWorkflowInput, SearchWorkflowResult } from '../workflows/definitions';
import { TASK_QUEUE } from '../workflows/definitions';
import { runSearchInProcess } from '../workflows/in-process';

const { values: args } = parseArgs({
  options: {
    candidates: { type: 'string', default: '8' },
    batch: { type: 'string', default: '4' },
    parallelism: { type: 'string', default: '2' },
    steps: { type: 'string', default: '10' },
    'step-ms': { type: 'string', default: '50' },
    seed: { type: 'string', default: '1' },
    port: { type: 'string', default: '17299' },
  },
});

function answer(o: SearchOutcome) {
  return JSON.stringify({ stages: o.stages, winner: o.winner, final: o.final });
}

async function main(): Promise<void> {
  const n = Number(args.candidates);
  // The request as the gateway decodes it: what it leaves out (top-k, the method) comes from the preset.
  const spec = resolveSearchSpec({
    preset: 'tiny',
    tasks: ['sst2'],
    seed: Number(args.seed),
    parallelism: Number(args.parallelism),
    batchSize: Number(args.batch),
    stages: { stage1: n, stage2: n, stage3: n },
    budget: {
      steps: Number(args.steps),
      finalSteps: Number(args.steps),
      checkpointEvery: Math.max(1, Math.floor(Number(args.steps) / 3)),
      fakeStepMillis: Number(args['step-ms']),
    },
  });
  const root = await fs.mkdtemp(path.join(tmpdir(), 'eb-bench-orch-'));
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const stateDir = path.join(root, 'temporal');
  try {
    let t = performance.now();
    const local = await runSearchInProcess('bench', spec, {
      store: new DirArtifactStore(path.join(root, 'a1')),
      trainer: 'fake',
    });
    const inProcessMs = performance.now() - t;

    const server = await startDevServer({ stateDir, port: Number(args.port) });
    const workers = await startWorkers({
      address: server.address,
      namespace: 'default',
      artifactsRoot: path.join(root, 'a2'),
      modelRepository: path.join(root, 'models'),
      trainer: 'fake',
      queues: ['light', 'gpu'],
      gpuConcurrency: spec.parallelism,
      lightConcurrency: 4,
      connectTimeoutMs: 30_000,
    });
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    t = performance.now();
    const searchId = `bench-${Date.now()}`;
    const input: SearchWorkflowInput = { searchId, spec };
    const result = (await client.workflow.execute('searchWorkflow', {
      workflowId: searchId,
      taskQueue: TASK_QUEUE,
      args: [input],
    })) as SearchWorkflowResult;
    const temporalMs = performance.now() - t;
    workers.shutdown();
    await workers.done;
    await connection.close();
    const total = 3 * n + 1;
    console.log(
      JSON.stringify({
        bench: 'orchestration',
        candidates: total,
        spec: {
          batch: spec.batchSize,
          parallelism: spec.parallelism,
          steps: spec.budget.steps,
          stepMs: spec.budget.fakeStepMillis,
        },
        inProcessMs: Math.round(inProcessMs),
        temporalMs: Math.round(temporalMs),
        overheadMs: Math.round(temporalMs - inProcessMs),
        overheadPerCandidateMs: Math.round((temporalMs - inProcessMs) / total),
        sameAnswer: answer(local) === answer(result.outcome),
        winner: result.outcome.winner?.arch,
      }),
    );
  } finally {
    await stopDevServer(stateDir).catch(() => undefined);
    await fs.rm(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
