import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isolatedStackEnv, runCli } from './cli-process';

interface Component {
  name: string;
  pid?: number;
  healthy: boolean;
  action?: string;
  address: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('efficientbert dev up/status/down', { timeout: 600_000 }, () => {
  let stateDir: string;
  let env: Record<string, string>;
  let pids: Record<string, number> = {};

  const byName = (components: Component[]) => Object.fromEntries(components.map((c) => [c.name, c]));

  before(async () => {
    stateDir = await fs.mkdtemp(path.join(tmpdir(), 'eb-cli-dev-'));
    env = { ...(await isolatedStackEnv(stateDir)), EFFICIENTBERT_TRAINER: 'fake' };
  });

  after(async () => {
    // Whatever a failed test left running.
    await runCli(['dev', 'down'], { env });
    await fs.rm(stateDir, { recursive: true, force: true });
  });

  it('starts every component detached, then reuses them all on a second up', async () => {
    const first = await runCli(['dev', 'up', '--json'], { env, timeoutMs: 300_000 });
    assert.equal(first.code, 0, first.stderr);
    const up = JSON.parse(first.stdout);
    assert.equal(up.temporalUi, `http://127.0.0.1:${env.EFFICIENTBERT_TEMPORAL_UI_PORT}`);
    const started = byName(up.components);
    assert.deepEqual(Object.keys(started), ['temporal', 'worker', 'search', 'inference']);
    for (const c of up.components as Component[]) {
      assert.equal(c.action, 'started', c.name);
      assert.ok(c.healthy && c.pid && alive(c.pid), c.name);
      pids[c.name] = c.pid!;
    }
    assert.equal(started.search!.address, env.EFFICIENTBERT_SEARCH_ADDRESS);
    const second = await runCli(['dev', 'up', '--json'], { env, timeoutMs: 300_000 });
    assert.equal(second.code, 0, second.stderr);
    for (const c of JSON.parse(second.stdout).components as Component[]) {
      assert.equal(c.action, 'reused', c.name);
      assert.equal(c.pid, pids[c.name], c.name);
    }
  });

  it('reports every component healthy (exit 0) and where the Temporal UI is', async () => {
    const r = await runCli(['dev', 'status'], { env });
    assert.equal(r.code, 0, r.stderr);
    for (const name of ['temporal', 'worker', 'search', 'inference'])
      assert.match(r.stdout, new RegExp(`^${name} +${pids[name]} +\\S+ +healthy`, 'm'));
    assert.match(r.stdout, new RegExp(`Temporal UI: http://127.0.0.1:${env.EFFICIENTBERT_TEMPORAL_UI_PORT}`));
  });

  it('restarts a dead component and reuses the rest', async () => {
    process.kill(pids.worker!, 'SIGKILL');
    while (alive(pids.worker!)) await new Promise((r) => setTimeout(r, 50));
    const down = await runCli(['dev', 'status', '--json'], { env });
    assert.equal(down.code, 3);
    assert.equal(byName(JSON.parse(down.stdout).components).worker!.healthy, false);
    const r = await runCli(['dev', 'up', '--json'], { env, timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    const states = byName(JSON.parse(r.stdout).components);
    assert.equal(states.worker!.action, 'restarted');
    assert.notEqual(states.worker!.pid, pids.worker);
    assert.equal(states.search!.action, 'reused');
    assert.equal(states.temporal!.action, 'reused');
    pids = Object.fromEntries(Object.values(states).map((c) => [c.name, c.pid!]));
  });

  it('stops everything gracefully; status then exits 3', async () => {
    const r = await runCli(['dev', 'down', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const stopped: { name: string; how: string }[] = JSON.parse(r.stdout).stopped;
    assert.deepEqual(stopped.map((s) => s.name).sort(), ['inference', 'search', 'temporal', 'worker']);
    for (const pid of Object.values(pids)) assert.ok(!alive(pid), `pid ${pid} still alive`);
    const status = await runCli(['dev', 'status', '--json'], { env });
    assert.equal(status.code, 3);
    assert.ok((JSON.parse(status.stdout).components as Component[]).every((c) => !c.healthy));
    const again = await runCli(['dev', 'down'], { env });
    assert.equal(again.code, 0);
    assert.equal(again.stdout.trim(), 'nothing was running');
  });
});
