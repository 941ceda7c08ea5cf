/**
 * "Bring your own data" through the real stack: the test writes a small CSV with 3 string labels
 * (quoted fields with commas and quotes among them), uploads it with the CLI's upload code to the
 * Search gateway's artifact store, and starts a search over gRPC on a real Temporal dev server with
 * a real worker (kd trainer, tfjs on CPU) that reads the data from the store only: its data folder
 * holds the tokenizer and no copy of the user's files. The winner is exported, published and
 * served, and Classify answers with the CSV's labels, as accurately as the trained model scored.
 * Every training is cut to a few steps (enough to learn these keywords: 0.9 dev accuracy), so it
 * runs in about 40 s on 2 cores.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DirArtifactStore } from '../../efficientbert/artifacts';
import { RpcClient } from '../../services/cli/rpc';
import { uploadDataFlags } from '../../services/cli/search/upload-data';
import { SERVICE_NAMES } from '../../services/inference/grpc/protos';
import type { InferenceServer } from '../../services/inference/grpc/server';
import { searchClient } from '../../services/search/protos';
import { type RunningSearchServer, startSearchServer } from '../../services/search/server';
import { SHARED_DATA } from '../helpers/shared-data';
import { type Reply, SearchTestClient } from '../helpers/temporal-grpc';
import { TestTemporalServer } from '../helpers/temporal-server';
import { bundleWorkflowsToFile, WorkerProcess } from '../helpers/temporal-worker';
import { TOPIC_LABELS, topicCsv, topicRows } from '../helpers/topic-csv';
import { startServer, TestClient } from '../integration/inference/harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a search on a user CSV with 3 string labels, served with those labels', {
  timeout: 900_000,
}, () => {
  let root: string;
  let temporal: TestTemporalServer;
  let worker: WorkerProcess;
  let api: RunningSearchServer;
  let search: SearchTestClient;
  let inference: InferenceServer;
  let classify: TestClient;
  const dev = topicRows(30, 7);

  before(async () => {
    root = await fs.mkdtemp(path.join(tmpdir(), 'eb-user-data-'));
    const models = path.join(root, 'models');
    // The worker's data folder: the tokenizer only, so the CSV can reach it through the store alone.
    const workerData = path.join(root, 'worker-data');
    await fs.mkdir(models);
    await fs.mkdir(workerData);
    await fs.symlink(path.join(SHARED_DATA, 'bert-base-uncased'), path.join(workerData, 'bert-base-uncased'));
    await fs.writeFile(path.join(root, 'train.csv'), topicCsv(topicRows(150, 0)));
    await fs.writeFile(path.join(root, 'dev.csv'), topicCsv(dev));
    const [srv, bundlePath] = await Promise.all([TestTemporalServer.start(), bundleWorkflowsToFile()]);
    temporal = srv;
    const artifactsRoot = path.join(root, 'artifacts');
    worker = await WorkerProcess.start({
      address: temporal.address,
      artifactsRoot,
      bundlePath,
      trainer: 'kd',
      modelRepository: models,
      dataDir: workerData,
    });
    api = await startSearchServer({
      temporalAddress: temporal.address,
      store: new DirArtifactStore(artifactsRoot),
    });
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

  it('trains on the uploaded CSV, and Classify answers with its labels', async () => {
    const address = `127.0.0.1:${api.port}`;
    const rpc = new RpcClient(searchClient(address), {
      label: 'search service',
      address,
      envVar: 'EFFICIENTBERT_SEARCH_ADDRESS',
      flag: 'search-address',
    });
    const data = await uploadDataFlags(rpc, {
      train: path.join(root, 'train.csv'),
      dev: path.join(root, 'dev.csv'),
      'text-column': 'utterance',
      'label-column': 'topic',
      'task-name': 'topic',
    }).finally(() => rpc.close());
    const few = (pretrain: number, finetune: number) => ({
      pretrain_steps: pretrain,
      finetune_steps: finetune,
      batch_size: 16,
    });
    const started = await search.call('StartSearch', {
      request_id: 'user-data-e2e',
      spec: {
        preset: 'tiny',
        seed: 7,
        parallelism: 2,
        batch_size: 2,
        stages: { stage1_candidates: 2, stage2_candidates: 2, stage3_candidates: 2 },
        budget: { checkpoint_every: 1000 },
        data,
        method: {
          warmup: { ...few(20, 60), teacher: { steps: 300 }, train_fraction: 1 },
          proxy: { ...few(5, 10), train_fraction: 0.6, held_out_fraction: 0.3 },
          weight_sharing: { ...few(5, 10), train_fraction: 0.7 },
          scoring: { held_out_fraction: 0.3 },
          final: few(20, 150),
        },
      },
    });
    const searchId: string = started.search_id;
    await search.watch(searchId, 1000);
    const info = await search.call('GetSearch', { search_id: searchId });
    assert.equal(info.status, 'SEARCH_STATUS_COMPLETED', `search ended ${info.status}: ${info.error}`);
    assert.deepEqual(info.spec.tasks, ['topic']);
    assert.equal(info.spec.data.train.ref, data!.train.ref);
    const name = `${searchId}-topic`;
    assert.deepEqual(info.models, [name]);
    const final = info.final;
    assert.equal(final.status, 'ok');

    let model: Reply | undefined;
    for (let i = 0; i < 100 && !model; i++) {
      model = (await classify.call('ListModels', { ready_only: true })).models.find(
        (m: Reply) => m.name === name,
      );
      if (!model) await sleep(200);
    }
    assert.ok(model, `model ${name} not served (ready)`);
    assert.equal(model.task, 'classification');
    // The CSV's labels, in the documented order (sorted), not LABEL_0..2 nor GLUE's.
    assert.deepEqual(model.labels, TOPIC_LABELS);

    const res = await classify.call('Classify', {
      model_name: name,
      inputs: dev.map(([text]) => ({ text })),
    });
    let correct = 0;
    res.results.forEach((r: Reply, i: number) => {
      assert.ok(TOPIC_LABELS.includes(r.label), `label ${r.label}`);
      assert.deepEqual(
        r.probabilities.map((p: Reply) => p.label),
        TOPIC_LABELS,
      );
      if (r.label === dev[i]![1]) correct++;
    });
    const served = correct / dev.length;
    console.log(`served dev accuracy ${served} (trained ${final.reward}; chance 0.33)`);
    assert.ok(
      Math.abs(served - final.reward) <= 0.005,
      `served accuracy ${served} vs trained ${final.reward}`,
    );
  });
});
