import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { InferenceServerConfig } from '../../../../services/inference/config';
import type { InferenceServer } from '../../../../services/inference/grpc/server';
import { writeTinyClassifier } from '../../../fixtures/tiny-classifier';
import { clients, rejection, sleep, startServer, tempRepository } from '../harness';

const SHORT = 'good';
// About 20 tokens: a different sequence-length bucket from SHORT (3 tokens).
const LONG = 'an entirely watchable film with a few good jokes and a great deal of heart in it';

interface Stats {
  execution_count: string;
  inference_count: string;
  batch_stats: Array<{ batch_size: string; compute_infer: { count: string } }>;
  inference_stats: { fail: { count: string } };
}

describe('dynamic batching, queue bounds and deadlines', () => {
  const repo = tempRepository();
  const servers: InferenceServer[] = [];
  const open: Array<ReturnType<typeof clients>> = [];

  before(() => {
    writeTinyClassifier(repo.dir, { name: 'sst2', version: 1, seed: 3, maxSeqLength: 64 });
  });

  after(async () => {
    for (const c of open) for (const client of Object.values(c)) client.close();
    await Promise.all(servers.map((s) => s.shutdown()));
    repo.remove();
  });

  async function serve(batching: Partial<InferenceServerConfig['batching']>) {
    const server = await startServer(repo.dir, {
      batching: batching as InferenceServerConfig['batching'],
      metricsPort: null,
    });
    servers.push(server);
    const c = clients(server.port);
    open.push(c);
    const stats = async (): Promise<Stats> =>
      (await c.oip.call('ModelStatistics', { name: 'sst2' })).model_stats[0];
    const classify = (text: string, options: grpc.CallOptions = {}) =>
      c.classify.call('Classify', { model_name: 'sst2', inputs: [{ text }] }, options);
    return { server, c, stats, classify };
  }

  it('batches concurrent requests per sequence-length bucket, never padding short texts to long ones', async () => {
    const { stats, classify } = await serve({
      enabled: true,
      maxBatchSize: 8,
      maxQueueDelayMs: 300,
      maxQueueSize: 100,
    });
    const texts = [SHORT, LONG, SHORT, LONG, SHORT, LONG];
    const results = await Promise.all(texts.map((t) => classify(t)));
    assert.equal(results.length, 6);
    const s = await stats();
    assert.equal(s.execution_count, '2');
    assert.deepEqual(
      s.batch_stats.map((b) => [b.batch_size, b.compute_infer.count]),
      [['3', '2']],
    );
    assert.equal(s.inference_count, '6');
  });

  it('runs every request alone when dynamic batching is off', async () => {
    const { stats, classify } = await serve({
      enabled: false,
      maxBatchSize: 8,
      maxQueueDelayMs: 300,
      maxQueueSize: 100,
    });
    await Promise.all([SHORT, SHORT, SHORT, LONG].map((t) => classify(t)));
    const s = await stats();
    assert.equal(s.execution_count, '4');
    assert.deepEqual(
      s.batch_stats.map((b) => b.batch_size),
      ['1'],
    );
  });

  it('answers UNAVAILABLE "Exceeds maximum queue size" instead of queueing without bound', async () => {
    const { classify } = await serve({
      enabled: true,
      maxBatchSize: 64,
      maxQueueDelayMs: 400,
      maxQueueSize: 4,
    });
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => classify(SHORT)));
    const ok = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as grpc.ServiceError] : []));
    assert.equal(ok.length, 4);
    assert.equal(refused.length, 6);
    for (const err of refused) {
      assert.equal(err.code, grpc.status.UNAVAILABLE);
      assert.match(err.details, /Exceeds maximum queue size/);
    }
    // The queue drained: the server takes requests again.
    assert.ok(await classify(SHORT));
  });

  it('does not run a request whose deadline passed while it was queued', async () => {
    const { stats, classify } = await serve({
      enabled: true,
      maxBatchSize: 64,
      maxQueueDelayMs: 400,
      maxQueueSize: 100,
    });
    const err = await rejection(classify(SHORT, { deadline: Date.now() + 100 }));
    assert.equal(err.code, grpc.status.DEADLINE_EXCEEDED);
    await sleep(500);
    const s = await stats();
    assert.equal(s.execution_count, '0');
    assert.equal(s.inference_count, '0');
    assert.equal(s.inference_stats.fail.count, '1');
  });
});
