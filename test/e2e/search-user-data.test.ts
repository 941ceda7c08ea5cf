/**
 * "Bring your own data" through the real stack: the test writes a small CSV with 3 string labels
 * (quoted fields with commas and quotes among them), uploads it with the CLI's upload code to the
 * Search gateway's artifact store, and starts a search over gRPC on a real Temporal dev server with
 * a real worker (kd trainer, tfjs on CPU) that reads the data from the store only: its data folder
 * holds the tokenizer and no copy of the user's files. The winner is exported, published and
 * served, and Classify answers with the CSV's labels, as accurately as the trained model scored.
 * Every training is cut to a few steps (enough to learn these keywords: 0.9 dev accuracy), so it
 * runs in about 40 s on 2 cores.
 *
 * Then the same with the user's own teacher, as transformers users have one: cased, its own vocab,
 * fine-tuned with named labels in an unsorted id order. The search uses it as it is and the served
 * student tokenizes with its vocab and answers with its labels, in its order.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { DirArtifactStore } from '../../efficientbert/artifacts';
import { selectBackend } from '../../efficientbert/model/backend';
import { importTeacher } from '../../efficientbert/model/teacher-import';
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

const TEACHER_SCRIPT = path.resolve(__dirname, '../fixtures/python/make_hf_topic_teacher.py');
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

  async function uploadTopicData(train = 'train.csv', devFile = 'dev.csv') {
    const address = `127.0.0.1:${api.port}`;
    const rpc = new RpcClient(searchClient(address), {
      label: 'search service',
      address,
      envVar: 'EFFICIENTBERT_SEARCH_ADDRESS',
      flag: 'search-address',
    });
    return uploadDataFlags(rpc, {
      train: path.join(root, train),
      dev: path.join(root, devFile),
      'text-column': 'utterance',
      'label-column': 'topic',
      'task-name': 'topic',
    }).finally(() => rpc.close());
  }

  const few = (pretrain: number, finetune: number) => ({
    pretrain_steps: pretrain,
    finetune_steps: finetune,
    batch_size: 16,
  });
  const spec = (data: Reply | null, more: Reply = {}) => ({
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
    ...more,
  });

  /** The served model `name` once it is ready. */
  async function servedModel(name: string): Promise<Reply> {
    let model: Reply | undefined;
    for (let i = 0; i < 100 && !model; i++) {
      model = (await classify.call('ListModels', { ready_only: true })).models.find(
        (m: Reply) => m.name === name,
      );
      if (!model) await sleep(200);
    }
    assert.ok(model, `model ${name} not served (ready)`);
    return model;
  }

  /** Classify over the dev rows: the share answered with the row's label; checks each answer's labels. */
  async function servedAccuracy(name: string, labels: readonly string[]): Promise<number> {
    const res = await classify.call('Classify', {
      model_name: name,
      inputs: dev.map(([text]) => ({ text })),
    });
    let correct = 0;
    res.results.forEach((r: Reply, i: number) => {
      assert.ok(labels.includes(r.label), `label ${r.label}`);
      assert.deepEqual(
        r.probabilities.map((p: Reply) => p.label),
        labels,
      );
      if (r.label === dev[i]![1]) correct++;
    });
    return correct / dev.length;
  }

  /** Runs a search to its end; its GetSearch info. */
  async function searchToEnd(requestId: string, searchSpec: Reply): Promise<Reply> {
    const started = await search.call('StartSearch', { request_id: requestId, spec: searchSpec });
    await search.watch(started.search_id, 1000);
    const info = await search.call('GetSearch', { search_id: started.search_id });
    assert.equal(info.status, 'SEARCH_STATUS_COMPLETED', `search ended ${info.status}: ${info.error}`);
    assert.equal(info.final.status, 'ok');
    return info;
  }

  it('trains on the uploaded CSV, and Classify answers with its labels', async () => {
    const data = await uploadTopicData();
    const info = await searchToEnd('user-data-e2e', spec(data));
    assert.deepEqual(info.spec.tasks, ['topic']);
    assert.equal(info.spec.data.train.ref, data!.train.ref);
    const name = `${info.search_id}-topic`;
    assert.deepEqual(info.models, [name]);
    const model = await servedModel(name);
    assert.equal(model.task, 'classification');
    // The CSV's labels, in the documented order (sorted), not LABEL_0..2 nor GLUE's.
    assert.deepEqual(model.labels, TOPIC_LABELS);
    const served = await servedAccuracy(name, TOPIC_LABELS);
    console.log(`served dev accuracy ${served} (trained ${info.final.reward}; chance 0.33)`);
    assert.ok(
      Math.abs(served - info.final.reward) <= 0.005,
      `served accuracy ${served} vs trained ${info.final.reward}`,
    );
  });

  it("distils the user's own teacher as it is: its tokenizer, its label order and names", async () => {
    // A cased teacher with its own 47-token vocab and labels in id order weather, sports, cooking
    // (sorted would be cooking, sports, weather), fine-tuned on the CSV by transformers.
    const hf = path.join(root, 'hf-teacher');
    const py = spawnSync(
      'python3',
      [TEACHER_SCRIPT, path.join(root, 'train.csv'), path.join(root, 'dev.csv'), hf],
      {
        encoding: 'utf8',
      },
    );
    if (py.error || py.status !== 0)
      assert.fail(
        `transformers could not build the teacher (run \`npm run setup\`): ${py.error?.message ?? py.stderr}`,
      );
    const built = JSON.parse(py.stdout.trim().split('\n').pop()!) as { dev_accuracy: number };
    assert.ok(built.dev_accuracy >= 0.9, `the teacher itself scores ${built.dev_accuracy}`);
    await selectBackend('cpu', () => {});
    const teacher = await importTeacher(hf, new DirArtifactStore(path.join(root, 'artifacts')));
    const teacherLabels = ['weather', 'sports', 'cooking'];
    assert.deepEqual(teacher.labels, teacherLabels);
    const data = await uploadTopicData();

    // Bad teacher inputs are refused before anything starts, naming the field.
    const refused = (code: grpc.status, field: string, pattern: RegExp) => (err: grpc.ServiceError) => {
      assert.equal(err.code, code, `${grpc.status[err.code]}: ${err.details}`);
      assert.deepEqual(err.metadata.get('field'), [field]);
      assert.match(err.details, pattern);
      return true;
    };
    await assert.rejects(
      search.call('StartSearch', {
        request_id: 'no-such-teacher',
        spec: spec(data, { teacher_ref: `sha256:${'0'.repeat(64)}` }),
      }),
      refused(grpc.status.NOT_FOUND, 'spec.teacher_ref', /not found/),
    );
    await assert.rejects(
      search.call('StartSearch', {
        request_id: 'not-a-teacher',
        spec: spec(data, { teacher_ref: data!.train.ref }),
      }),
      refused(grpc.status.INVALID_ARGUMENT, 'spec.teacher_ref', /is not a teacher/),
    );
    await assert.rejects(
      search.call('StartSearch', {
        request_id: 'labels-against-teacher',
        spec: spec({ ...data, labels: [...TOPIC_LABELS] }, { teacher_ref: teacher.ref }),
      }),
      refused(
        grpc.status.INVALID_ARGUMENT,
        'spec.data.labels',
        /teacher's labels in its order \(weather, sports, cooking\)/,
      ),
    );
    await fs.writeFile(
      path.join(root, 'train-renamed.csv'),
      topicCsv(topicRows(150, 0).map(([text, label]): [string, string] => [text, label.toUpperCase()])),
    );
    const upper = (rows: [string, string][]) => rows.map(([t, l]): [string, string] => [t, l.toUpperCase()]);
    await fs.writeFile(path.join(root, 'dev-renamed.csv'), topicCsv(upper(dev)));
    const renamed = await uploadTopicData('train-renamed.csv', 'dev-renamed.csv');
    await assert.rejects(
      search.call('StartSearch', {
        request_id: 'renamed-labels',
        spec: spec(renamed, { teacher_ref: teacher.ref }),
      }),
      refused(
        grpc.status.INVALID_ARGUMENT,
        'spec.teacher_ref',
        /are not the data's \(COOKING, SPORTS, WEATHER\)/,
      ),
    );

    const info = await searchToEnd('own-teacher-e2e', spec(data, { teacher_ref: teacher.ref }));
    assert.deepEqual(info.spec.data.labels, teacherLabels, "StartSearch takes the teacher's label order");
    const name = `${info.search_id}-topic`;
    const model = await servedModel(name);
    assert.deepEqual(model.labels, teacherLabels);
    // The exported student tokenizes as the teacher: its package holds the teacher's vocab.
    const vocabs = (await fs.readdir(path.join(root, 'models', name), { recursive: true })).filter((f) =>
      String(f).endsWith('vocab.txt'),
    );
    assert.equal(vocabs.length, 1, `one vocab.txt in ${name}: ${vocabs}`);
    assert.equal(
      await fs.readFile(path.join(root, 'models', name, String(vocabs[0])), 'utf8'),
      await fs.readFile(path.join(hf, 'vocab.txt'), 'utf8'),
    );
    // Distilled from the teacher's logits alone: with the labels in another order than the
    // teacher's, the student would answer with a permutation of the right labels.
    const served = await servedAccuracy(name, teacherLabels);
    console.log(
      `own teacher: served dev accuracy ${served} (trained ${info.final.reward}; teacher ${built.dev_accuracy})`,
    );
    assert.ok(served >= 0.7, `served accuracy ${served}`);
    assert.ok(
      Math.abs(served - info.final.reward) <= 0.005,
      `served ${served} vs trained ${info.final.reward}`,
    );
  });
});
