/**
 * `search report` measures the served winner through a real inference server; a scripted search
 * service stands in for the search. Nothing here asserts how fast: only that a latency was measured
 * and labelled, or left out with a note.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { InferenceServer } from '../../services/inference/grpc/server';
import { writeTinyClassifier } from '../fixtures/tiny-classifier';
import { startServer, tempRepository } from '../integration/inference/harness';
import { runCli } from './cli-process';
import { startScriptedSearchServer } from './scripted-search-server';

const MAX_SEQ_LENGTH = 64;
const LABEL = `Winner latency (served Classify p50 of 5 calls, batch 1, ${MAX_SEQ_LENGTH} tokens)`;

/** A loopback port with nothing listening: one that was free a moment ago. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('efficientbert search report: the served winner latency', { timeout: 180_000 }, () => {
  const repo = tempRepository();
  let search: Awaited<ReturnType<typeof startScriptedSearchServer>>;
  let inference: InferenceServer;
  let root: string;
  let env: Record<string, string>;

  /** `search report ID --json` into a fresh folder: the exit code, the JSON, stderr and the HTML. */
  async function report(id: string, flags: string[] = [], envOverride: Record<string, string> = {}) {
    const out = await fs.mkdtemp(path.join(root, `${id}-`));
    const r = await runCli(['search', 'report', id, '--out', out, '--json', ...flags], {
      env: { ...env, ...envOverride },
    });
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    return { json, stderr: r.stderr, html: await fs.readFile(json.htmlPath, 'utf8') };
  }

  before(async () => {
    root = await fs.mkdtemp(path.join(tmpdir(), 'eb-cli-report-'));
    // Only search-ok's model is served; search-ok-2 lists one too, which the server does not have.
    writeTinyClassifier(repo.dir, {
      name: 'search-ok-sst2',
      version: 1,
      seed: 3,
      labels: ['negative', 'positive'],
      maxSeqLength: MAX_SEQ_LENGTH,
    });
    [search, inference] = await Promise.all([startScriptedSearchServer(), startServer(repo.dir)]);
    env = {
      EFFICIENTBERT_SEARCH_ADDRESS: search.address,
      EFFICIENTBERT_INFERENCE_ADDRESS: `127.0.0.1:${inference.port}`,
      EFFICIENTBERT_STATE_DIR: root,
    };
  });
  after(async () => {
    await search?.close();
    await inference?.shutdown();
    repo.remove();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('measures the served model of the first task and shows it with its label', async () => {
    const { json, stderr, html } = await report('search-ok', ['--latency-runs', '5']);
    assert.equal(json.status, 'COMPLETED');
    assert.equal(typeof json.winnerLatencyMs, 'number');
    assert.ok(json.winnerLatencyMs > 0, String(json.winnerLatencyMs));
    assert.equal(stderr, '');
    assert.ok(html.includes(`<dt>${LABEL}</dt><dd>${json.winnerLatencyMs.toFixed(1)} ms</dd>`), LABEL);
  });

  it('says what it measured in text mode too', async () => {
    const out = path.join(root, 'text');
    const r = await runCli(['search', 'report', 'search-ok', '--out', out, '--latency-runs', '2'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^winner search-ok-sst2: \d+\.\d\d ms \(served Classify p50 of 2 calls, batch 1, 64 tokens\)$/m,
    );
  });

  it('leaves the latency out with a note when the inference service is unreachable', async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const { json, stderr, html } = await report('search-ok', [], {
      EFFICIENTBERT_INFERENCE_ADDRESS: address,
    });
    assert.equal(json.winnerLatencyMs, null);
    assert.match(
      stderr,
      new RegExp(
        `^note: the winner's latency is not measured: no inference service at ${address}: run \`efficientbert dev up\``,
      ),
    );
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
    assert.ok(html.includes('<dt>Winner latency</dt><dd>—</dd>'));
  });

  it('leaves the latency out with a note when the inference service does not serve the model', async () => {
    const { json, stderr } = await report('search-ok-2');
    assert.equal(json.winnerLatencyMs, null);
    assert.match(stderr, /^note: the winner's latency is not measured: .*NOT_FOUND.*search-ok-2-sst2/);
    assert.match(stderr, /`efficientbert models list`/);
  });

  it('does not measure with --latency-runs 0, nor when the search serves no model', async () => {
    const off = await report('search-ok', ['--latency-runs', '0']);
    assert.equal(off.json.winnerLatencyMs, null);
    assert.equal(off.stderr, '');
    assert.ok(off.html.includes('<dt>Winner latency</dt><dd>—</dd>'));
    const failed = await report('search-failed');
    assert.equal(failed.json.winnerLatencyMs, null);
    assert.equal(failed.stderr, '');
  });

  it('refuses a --latency-runs that is not a non-negative integer with exit 2, naming the flag', async () => {
    for (const flag of [
      ['--latency-runs', '-1'],
      ['--latency-runs=-1'],
      ['--latency-runs', 'abc'],
      ['--latency-runs', '2.5'],
    ]) {
      const r = await runCli(['search', 'report', 'search-ok', ...flag], { env });
      assert.equal(r.code, 2, `${flag.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /--latency-runs/, flag.join(' '));
    }
  });
});
