import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { WordPieceTokenizer } from '../../../../efficientbert/data/tokenizer';
import type { InferenceServer } from '../../../../services/inference/grpc/server';
import { softmax } from '../../../../services/inference/runtime/text-encoding';
import {
  BERT_TOKENIZER_DIR,
  type TinyClassifier,
  writeTinyClassifier,
} from '../../../fixtures/tiny-classifier';
import { clients, rejection, sleep, startServer, tempRepository } from '../harness';

const TEXT = 'a quietly moving story';
const tokenizer = WordPieceTokenizer.fromDirectory(BERT_TOKENIZER_DIR);

function expectedPositive(fixture: TinyClassifier): number {
  const e = tokenizer.encode(TEXT, undefined, fixture.config.maxSeqLength);
  return softmax(fixture.reference(e.inputIds, e.tokenTypeIds, e.attentionMask))[1]!;
}

interface Answer {
  model_version: string;
  results: Array<{ probabilities: Array<{ probability: number }> }>;
}

/** Classify requests in a loop from `workers` concurrent callers until stopped; keeps every outcome. */
function traffic(c: ReturnType<typeof clients>, workers: number) {
  const answers: Answer[] = [];
  const errors: grpc.ServiceError[] = [];
  let running = true;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      try {
        answers.push(await c.classify.call('Classify', { model_name: 'sst2', inputs: [{ text: TEXT }] }));
      } catch (err) {
        errors.push(err as grpc.ServiceError);
      }
    }
  });
  return {
    answers,
    errors,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('model repository: load, unload and reload under traffic', () => {
  const repo = tempRepository();
  const fixtures: Record<string, TinyClassifier> = {};
  let server: InferenceServer;
  let c: ReturnType<typeof clients>;

  before(async () => {
    fixtures.v1 = writeTinyClassifier(repo.dir, { name: 'sst2', version: 1, seed: 101 });
    server = await startServer(repo.dir, { pollIntervalMs: 50, instances: 2 });
    c = clients(server.port);
  });

  after(async () => {
    for (const client of Object.values(c)) client.close();
    await server.shutdown();
    repo.remove();
  });

  it('picks up a new version by polling without failing a request, each answer from one whole version', async () => {
    const load = traffic(c, 4);
    await until(() => load.answers.length > 20, 'traffic on version 1');
    fixtures.v2 = writeTinyClassifier(repo.dir, { name: 'sst2', version: 2, seed: 202 });
    await until(
      () => load.answers.filter((a) => a.model_version === '2').length > 20,
      'answers from version 2',
    );
    await load.stop();
    assert.deepEqual(load.errors, []);
    const want = { '1': expectedPositive(fixtures.v1!), '2': expectedPositive(fixtures.v2!) };
    for (const a of load.answers) {
      const p = a.results[0]!.probabilities[1]!.probability;
      assert.ok(
        Math.abs(p - want[a.model_version as '1' | '2']) < 1e-5,
        `version ${a.model_version} answered ${p}`,
      );
    }
    // Old answers come first: once version 2 answered, version 1 never did again.
    const firstV2 = load.answers.findIndex((a) => a.model_version === '2');
    assert.ok(load.answers.slice(firstV2 + 4 * 2).every((a) => a.model_version === '2'));
  });

  it('unloads and reloads by RPC; reloads under traffic fail nothing', async () => {
    await c.oip.call('RepositoryModelUnload', { model_name: 'sst2' });
    const gone = await rejection(
      c.classify.call('Classify', { model_name: 'sst2', inputs: [{ text: TEXT }] }),
    );
    assert.equal(gone.code, grpc.status.NOT_FOUND);
    assert.deepEqual((await c.oip.call('RepositoryIndex', {})).models, [
      { name: 'sst2', version: '2', state: 'UNAVAILABLE', reason: 'unloaded' },
    ]);
    assert.deepEqual((await c.oip.call('RepositoryIndex', { ready: true })).models, []);
    await c.oip.call('RepositoryModelLoad', { model_name: 'sst2' });
    const load = traffic(c, 4);
    await until(() => load.answers.length > 10, 'traffic after load');
    for (let i = 0; i < 3; i++) await c.oip.call('RepositoryModelLoad', { model_name: 'sst2' });
    await until(() => load.answers.length > 40, 'traffic after reloads');
    await load.stop();
    assert.deepEqual(load.errors, []);
  });

  it('finishes a queued request on the version it started on', async () => {
    const slow = await startServer(repo.dir, {
      metricsPort: null,
      batching: { enabled: true, maxBatchSize: 8, maxQueueDelayMs: 400, maxQueueSize: 10 },
    });
    const client = clients(slow.port).classify;
    try {
      const pending = client.call('Classify', { model_name: 'sst2', inputs: [{ text: TEXT }] });
      await sleep(50);
      fixtures.v3 = writeTinyClassifier(repo.dir, { name: 'sst2', version: 3, seed: 303 });
      await slow.manager.load('sst2');
      const answer = (await pending) as Answer;
      assert.equal(answer.model_version, '2');
      assert.ok(
        Math.abs(answer.results[0]!.probabilities[1]!.probability - expectedPositive(fixtures.v2!)) < 1e-5,
      );
      const next = (await client.call('Classify', {
        model_name: 'sst2',
        inputs: [{ text: TEXT }],
      })) as Answer;
      assert.equal(next.model_version, '3');
    } finally {
      client.close();
      await slow.shutdown();
    }
  });

  it('reports a broken package as UNAVAILABLE with the reason, and loads a new model when it appears', async () => {
    const broken = join(repo.dir, 'broken', '1');
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, 'model.onnx'), 'not an onnx file');
    writeFileSync(join(broken, 'model.json'), JSON.stringify({ task: 'ranking' }));
    const err = await rejection(c.oip.call('RepositoryModelLoad', { model_name: 'broken' }));
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err.details, /'task'/);
    writeTinyClassifier(repo.dir, {
      name: 'cola',
      version: 1,
      seed: 9,
      labels: ['unacceptable', 'acceptable'],
    });
    await until(
      async () => (await c.oip.call('ModelReady', { name: 'cola' })).ready,
      'cola to load by polling',
    );
    const index = (await c.oip.call('RepositoryIndex', {})).models as Array<{
      name: string;
      state: string;
      reason: string;
    }>;
    assert.deepEqual(
      index.map((m) => [m.name, m.state]),
      [
        ['broken', 'UNAVAILABLE'],
        ['cola', 'READY'],
        ['sst2', 'READY'],
      ],
    );
    assert.match(index[0]!.reason, /'task'/);
  });
});
