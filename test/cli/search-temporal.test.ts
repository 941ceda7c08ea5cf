import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningSearchServer, startSearchServer } from '../../services/search/server';
import { type Reply, SearchTestClient } from '../helpers/temporal-grpc';
import { FAST_TRAINING } from '../helpers/temporal-search';
import { TestTemporalServer } from '../helpers/temporal-server';
import { bundleWorkflowsToFile, WorkerProcess } from '../helpers/temporal-worker';
import { runCli } from './cli-process';

/** Slow enough to pause and cancel mid-stage: 8 candidates x 10 steps x 150 ms, one at a time. */
const SLOW = ['--stage1', '8', '--stage2', '2', '--stage3', '2', '--steps', '10', '--fake-step-ms', '150'];
const QUICK = ['--stage1', '3', '--stage2', '2', '--stage3', '2', '--steps', '3', '--fake-step-ms', '10'];

describe('efficientbert search against a real Temporal dev server, worker and gateway', {
  timeout: 600_000,
}, () => {
  let server: TestTemporalServer;
  let worker: WorkerProcess;
  let api: RunningSearchServer;
  let client: SearchTestClient;
  let root: string;
  let env: Record<string, string>;
  let slowId: string;

  async function statusOf(id: string): Promise<string> {
    return (await client.call('GetSearch', { search_id: id })).status;
  }

  async function waitStatus(id: string, status: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    while ((await statusOf(id)) !== status) {
      assert.ok(Date.now() < deadline, `${id} never became ${status}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  before(async () => {
    root = await fs.mkdtemp(path.join(tmpdir(), 'eb-cli-search-'));
    const [srv, bundlePath] = await Promise.all([TestTemporalServer.start(), bundleWorkflowsToFile()]);
    server = srv;
    process.env.EFFICIENTBERT_TRAINER = 'fake';
    worker = await WorkerProcess.start({
      address: server.address,
      artifactsRoot: path.join(root, 'artifacts'),
      bundlePath,
      gpuConcurrency: 1,
    });
    api = await startSearchServer({ temporalAddress: server.address, training: FAST_TRAINING });
    client = new SearchTestClient(`127.0.0.1:${api.port}`);
    env = { EFFICIENTBERT_SEARCH_ADDRESS: `127.0.0.1:${api.port}`, EFFICIENTBERT_STATE_DIR: root };
  });

  after(async () => {
    client?.close();
    await api?.close();
    await worker?.kill('SIGTERM');
    await server?.stop();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('starts a search (--json), idempotently on --request-id', async () => {
    const first = await runCli(['search', 'start', ...SLOW, '--request-id', 'cli-slow', '--json'], { env });
    assert.equal(first.code, 0, first.stderr);
    const reply: Reply = JSON.parse(first.stdout);
    assert.match(reply.search_id, /^search-[0-9a-f]{24}$/);
    assert.equal(reply.created, true);
    assert.equal(reply.search.search_id, reply.search_id);
    assert.equal(reply.search.spec.stages.stage1_candidates, 8);
    assert.equal(reply.search.spec.budget.fake_step_millis, 150);
    slowId = reply.search_id;
    const again = await runCli(['search', 'start', ...SLOW, '--request-id', 'cli-slow'], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim(), `request cli-slow already started ${slowId}; not starting another`);
  });

  it('refuses a bad spec with exit 1 and the server message naming the field', async () => {
    const r = await runCli(['search', 'start', '--preset', 'huge'], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /search service: INVALID_ARGUMENT: invalid spec\.preset/);
  });

  it('lists searches, filtered by status (--json shape)', async () => {
    const r = await runCli(['search', 'list', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const all: Reply[] = JSON.parse(r.stdout);
    const mine = all.find((s) => s.search_id === slowId);
    assert.ok(mine, r.stdout);
    assert.deepEqual(Object.keys(mine).sort(), [
      'close_time_ms',
      'search_id',
      'stage',
      'start_time_ms',
      'status',
      'workflow_status',
    ]);
    const completed = await runCli(['search', 'list', '--status', 'completed', '--json'], { env });
    assert.equal(completed.code, 0, completed.stderr);
    assert.ok(!JSON.parse(completed.stdout).some((s: Reply) => s.search_id === slowId));
    const text = await runCli(['search', 'list'], { env });
    assert.match(text.stdout, new RegExp(`^${slowId} {2}RUNNING`, 'm'));
  });

  it('pauses, resumes and cancels; watch then exits 1 for the CANCELLED search', async () => {
    const paused = await runCli(['search', 'pause', slowId], { env });
    assert.equal(paused.code, 0, paused.stderr);
    assert.match(paused.stdout, new RegExp(`^${slowId}: `));
    await waitStatus(slowId, 'SEARCH_STATUS_PAUSED');
    const resumed = await runCli(['search', 'resume', slowId, '--json'], { env });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(JSON.parse(resumed.stdout).search_id, slowId);
    await waitStatus(slowId, 'SEARCH_STATUS_RUNNING');
    const cancelled = await runCli(['search', 'cancel', slowId, '--reason', 'test'], { env });
    assert.equal(cancelled.code, 0, cancelled.stderr);
    const watched = await runCli(['search', 'watch', slowId], { env });
    assert.equal(watched.code, 1, watched.stderr);
    assert.match(watched.stdout.trim().split('\n').at(-1)!, /status=CANCELLED .*final=true$/);
    const late = await runCli(['search', 'pause', slowId], { env });
    assert.equal(late.code, 1);
    assert.match(late.stderr, /FAILED_PRECONDITION: search .* has ended/);
  });

  it('watches a search to COMPLETED (exit 0) and renders its report', async () => {
    const started = await runCli(['search', 'start', ...QUICK, '--request-id', 'cli-quick', '--watch'], {
      env,
    });
    assert.equal(started.code, 0, started.stderr);
    const lines = started.stdout.trim().split('\n');
    const id = lines[0]!.replace(/^started /, '');
    assert.match(lines.at(-1)!, /status=COMPLETED stage=done /);
    const out = path.join(root, 'report');
    const report = await runCli(['search', 'report', id, '--out', out, '--json'], { env });
    assert.equal(report.code, 0, report.stderr);
    const rendered = JSON.parse(report.stdout);
    assert.equal(rendered.htmlPath, path.join(out, 'report.html'));
    assert.equal(rendered.status, 'COMPLETED');
    assert.ok(existsSync(rendered.htmlPath));
    assert.match(await fs.readFile(rendered.htmlPath, 'utf8'), new RegExp(id));
  });
});
