/**
 * The whole product path with the real trainer: a `tiny` SST-2 search started over gRPC runs the
 * warm-up supernet, the three stages, the weight-sharing supernet and the final KD training on a
 * real Temporal dev server and a real worker (tfjs, CPU), exports the winner to ONNX, publishes it
 * into the model repository, and the inference server serves it: the model it serves classifies
 * the SST-2 dev set as well as the trained model did in tfjs.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readGlueSplit } from '../../efficientbert/data/glue';
import { baselineArchitecture } from '../../efficientbert/search/baseline';
import { SERVICE_NAMES } from '../../services/inference/grpc/protos';
import type { InferenceServer } from '../../services/inference/grpc/server';
import { type RunningSearchServer, startSearchServer } from '../../services/search/server';
import { SHARED_DATA } from '../helpers/shared-data';
import { type Reply, SearchTestClient } from '../helpers/temporal-grpc';
import { TestTemporalServer } from '../helpers/temporal-server';
import { bundleWorkflowsToFile, WorkerProcess } from '../helpers/temporal-worker';
import { startServer, TestClient } from '../integration/inference/harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a tiny SST-2 search with the real trainer, served at the end', { timeout: 900_000 }, () => {
  let root: string;
  let temporal: TestTemporalServer;
  let worker: WorkerProcess;
  let api: RunningSearchServer;
  let search: SearchTestClient;
  let inference: InferenceServer;
  let classify: TestClient;
  const dataDir = SHARED_DATA;

  before(async () => {
    root = await fs.mkdtemp(path.join(tmpdir(), 'eb-kd-'));
    const models = path.join(root, 'models');
    await fs.mkdir(models);
    const [srv, bundlePath] = await Promise.all([TestTemporalServer.start(), bundleWorkflowsToFile()]);
    temporal = srv;
    worker = await WorkerProcess.start({
      address: temporal.address,
      artifactsRoot: path.join(root, 'artifacts'),
      bundlePath,
      trainer: 'kd',
      modelRepository: models,
      dataDir,
    });
    api = await startSearchServer({ temporalAddress: temporal.address });
    search = new SearchTestClient(`127.0.0.1:${api.port}`);
    inference = await startServer(models, { pollIntervalMs: 300 });
    classify = new TestClient(SERVICE_NAMES.classify, inference.port);
  });

  after(async () => {
    classify?.close();
    await inference?.shutdown();
    search?.close();
    await api?.close();
    await worker?.kill('SIGTERM');
    await temporal?.stop();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('runs every stage, trains and exports the winner, and the inference service serves it', async () => {
    const started = await search.call('StartSearch', {
      request_id: 'kd-e2e',
      spec: {
        preset: 'tiny',
        tasks: ['sst2'],
        seed: 42,
        parallelism: 2,
        batch_size: 2,
        // Fewer candidates than the preset's 12/8/8 keep CI short; every training is the preset's.
        stages: { stage1_candidates: 4, stage2_candidates: 3, stage3_candidates: 3 },
        budget: { checkpoint_every: 250 },
      },
    });
    const searchId: string = started.search_id;
    const events = await search.watch(searchId, 1000);
    const last = events[events.length - 1]!;
    const info = await search.call('GetSearch', { search_id: searchId });
    assert.equal(info.status, 'SEARCH_STATUS_COMPLETED', `search ended ${info.status}: ${info.error}`);
    const phases = new Set(events.map((e: Reply) => e.progress?.stage));
    for (const phase of ['warmup', 'stage1', 'stage2', 'sharing', 'stage3', 'final', 'baseline'])
      assert.ok(phases.has(phase) || last.progress?.stage === 'done', `never saw phase ${phase}`);
    // The candidates, the warm-up, the sharing supernet, the final training and the baseline's.
    assert.equal(info.progress.evaluated, 4 + 3 + 3 + 4);
    // The baseline: plain GELU FFNs of one size, at least the winner's parameters, same dev metrics.
    const baseline = info.baseline;
    assert.equal(baseline?.status, 'ok', baseline?.error);
    assert.equal(baseline.arch, baselineArchitecture('tiny', info.final.arch));
    assert.ok(Number.isFinite(baseline.metrics['sst2.accuracy']), JSON.stringify(baseline.metrics));

    const final = info.final;
    assert.ok(final, 'the search reports its final training');
    assert.deepEqual(info.models, [`${searchId}-sst2`]);
    assert.equal(final.status, 'ok');
    // Well above the majority class (50.9%) after minutes of CPU training: it learned the task.
    assert.ok(final.reward > 0.6, `final dev accuracy ${final.reward}`);

    const name = `${searchId}-sst2`;
    let listed: Reply[] = [];
    // Ready ones only: the repository poll lists a model as LOADING first, and Classify answers
    // UNAVAILABLE until its sessions are up.
    for (let i = 0; i < 100 && !listed.some((m) => m.name === name); i++) {
      listed = (await classify.call('ListModels', { ready_only: true })).models;
      if (!listed.some((m) => m.name === name)) await sleep(200);
    }
    assert.ok(
      listed.some((m) => m.name === name),
      `model ${name} not served (ready); have ${listed.map((m) => m.name)}`,
    );

    // The served ONNX model is the trained one: its dev accuracy matches the tfjs evaluation.
    const dev = readGlueSplit(path.join(dataDir, 'glue'), 'sst2', 'dev');
    let correct = 0;
    for (let start = 0; start < dev.length; start += 64) {
      const chunk = dev.slice(start, start + 64);
      const res = await classify.call('Classify', {
        model_name: name,
        inputs: chunk.map((e) => ({ text: e.textA })),
      });
      res.results.forEach((r: Reply, i: number) => {
        if (r.label === (chunk[i]!.label === 1 ? 'positive' : 'negative')) correct++;
      });
    }
    const served = correct / dev.length;
    assert.ok(
      Math.abs(served - final.reward) <= 0.005,
      `served accuracy ${served} vs trained ${final.reward}`,
    );
  });
});
