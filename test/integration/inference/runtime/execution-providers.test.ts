import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSessionWithFallback } from '../../../../services/inference/runtime/session-factory';
import { SessionPool } from '../../../../services/inference/runtime/session-pool';
import { writeTinyClassifier } from '../../../fixtures/tiny-classifier';
import { clients, startServer, tempRepository } from '../harness';

// On this machine onnxruntime-node has no CUDA provider libraries: asking for 'cuda' really fails.
// Where the libraries exist, the session is created on cuda instead and the checks say so.
describe('execution providers: cuda requested, cpu fallback', () => {
  const repo = tempRepository();
  let modelPath: string;

  before(() => {
    modelPath = join(
      writeTinyClassifier(repo.dir, { name: 'sst2', version: 1, seed: 4 }).versionDir,
      'model.onnx',
    );
  });

  after(() => repo.remove());

  it('creates a session on cpu with the reason cuda could not be used', async () => {
    const created = await createSessionWithFallback(modelPath, {
      providers: ['cuda', 'cpu'],
      intraOpThreads: 1,
    });
    if (created.fallbackReason) {
      assert.deepEqual(created.providers, ['cpu']);
      assert.match(created.fallbackReason, /cuda/);
    } else {
      assert.deepEqual(created.providers, ['cuda', 'cpu']);
    }
    await created.session.release();
  });

  it('does not retry when cpu alone fails', async () => {
    await assert.rejects(
      createSessionWithFallback(join(repo.dir, 'missing.onnx'), { providers: ['cpu'], intraOpThreads: 1 }),
    );
  });

  it('falls back inside the session workers and the server logs why, then serves', async () => {
    const pool = await SessionPool.create(modelPath, {
      providers: ['cuda', 'cpu'],
      instances: 1,
      intraOpThreads: 1,
    });
    const fellBack = pool.description.fallbackReason !== undefined;
    await pool.close();

    const log: string[] = [];
    const server = await startServer(repo.dir, { providers: ['cuda', 'cpu'], metricsPort: null }, log);
    const c = clients(server.port);
    try {
      const info = await c.classify.call('GetModel', { name: 'sst2' });
      assert.equal(info.execution_provider, fellBack ? 'cpu' : 'cuda');
      if (fellBack)
        assert.ok(
          log.some((line) =>
            /sst2 version 1: execution providers \[cuda, cpu\] unavailable: .*; using cpu/.test(line),
          ),
          log.join('\n'),
        );
      const res = await c.classify.call('Classify', { model_name: 'sst2', inputs: [{ text: 'fine' }] });
      assert.equal(res.results.length, 1);
    } finally {
      for (const client of Object.values(c)) client.close();
      await server.shutdown();
    }
  });
});
