import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InferenceServer } from '../../services/inference/grpc/server';
import { writeTinyClassifier } from '../fixtures/tiny-classifier';
import { startServer, tempRepository } from '../integration/inference/harness';
import { runCli } from './cli-process';

describe('efficientbert models list and classify against a real inference server', {
  timeout: 120_000,
}, () => {
  const repo = tempRepository();
  let server: InferenceServer;
  let env: Record<string, string>;

  before(async () => {
    writeTinyClassifier(repo.dir, { name: 'tiny', version: 1, seed: 7, labels: ['negative', 'positive'] });
    server = await startServer(repo.dir);
    env = { EFFICIENTBERT_INFERENCE_ADDRESS: `127.0.0.1:${server.port}` };
  });
  after(async () => {
    await server?.shutdown();
    repo.remove();
  });

  it('lists the served models (text and --json)', async () => {
    const json = await runCli(['models', 'list', '--json'], { env });
    assert.equal(json.code, 0, json.stderr);
    const models = JSON.parse(json.stdout);
    assert.equal(models.length, 1);
    assert.equal(models[0].name, 'tiny');
    assert.equal(models[0].state, 'READY');
    assert.deepEqual(models[0].labels, ['negative', 'positive']);
    const text = await runCli(['models', 'list'], { env });
    assert.match(text.stdout, /^tiny {2}v1 {2}READY {2}classification labels negative,positive$/m);
  });

  it('classifies texts: one line per text, or the response with --json', async () => {
    const texts = ['a gorgeous movie', 'a dull mess'];
    const text = await runCli(['classify', '--model', 'tiny', ...texts], { env });
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    for (const [i, line] of lines.entries())
      assert.match(line, new RegExp(`^(negative|positive) 0\\.\\d{4}\\t${texts[i]}$`));
    const json = await runCli(['classify', '--model', 'tiny', ...texts, '--json'], { env });
    const reply = JSON.parse(json.stdout);
    assert.equal(reply.model_name, 'tiny');
    assert.equal(reply.results.length, 2);
    assert.equal(reply.results[0].probabilities.length, 2);
  });

  it('exits 1 with the server message for an unknown model', async () => {
    const r = await runCli(['classify', '--model', 'nope', 'text'], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /inference service: NOT_FOUND: .*nope/);
  });
});
