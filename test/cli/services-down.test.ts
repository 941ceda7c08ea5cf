import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../helpers/temporal-server';
import { runCli } from './cli-process';

describe('the CLI with no services running', { timeout: 120_000 }, () => {
  let env: Record<string, string>;
  let stateDir: string;
  let search: string;
  let inference: string;

  before(async () => {
    stateDir = await fs.mkdtemp(path.join(tmpdir(), 'eb-cli-down-'));
    search = `127.0.0.1:${await freePort()}`;
    inference = `127.0.0.1:${await freePort()}`;
    env = {
      EFFICIENTBERT_STATE_DIR: stateDir,
      EFFICIENTBERT_SEARCH_ADDRESS: search,
      EFFICIENTBERT_INFERENCE_ADDRESS: inference,
      TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
    };
  });
  after(async () => {
    await fs.rm(stateDir, { recursive: true, force: true });
  });

  it('exits 3 and says how to start the search service', async () => {
    for (const args of [
      ['search', 'list'],
      ['search', 'start'],
      ['search', 'watch', 'search-x'],
      ['search', 'pause', 'search-x'],
    ]) {
      const r = await runCli(args, { env });
      assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(
        r.stderr.trim(),
        `efficientbert: no search service at ${search}: run \`efficientbert dev up\` or set EFFICIENTBERT_SEARCH_ADDRESS (or --search-address)`,
      );
      assert.equal(r.stdout, '');
    }
  });

  it('exits 3 and says how to start the inference service', async () => {
    for (const args of [
      ['models', 'list', '--json'],
      ['classify', '--model', 'm', 'a text'],
    ]) {
      const r = await runCli(args, { env });
      assert.equal(r.code, 3, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`no inference service at ${inference}: run \`efficientbert dev up\``),
      );
    }
  });

  it('dev status --json reports every component down and exits 3', async () => {
    const r = await runCli(['dev', 'status', '--json'], { env });
    assert.equal(r.code, 3, r.stderr);
    const status = JSON.parse(r.stdout);
    assert.equal(status.healthy, false);
    assert.deepEqual(
      status.components.map((c: { name: string; healthy: boolean }) => [c.name, c.healthy]),
      [
        ['temporal', false],
        ['worker', false],
        ['search', false],
        ['inference', false],
      ],
    );
  });

  it('exits 2 on usage errors, naming the problem', async () => {
    const cases: [string[], RegExp][] = [
      [['search', 'frobnicate'], /unknown search action 'frobnicate'/],
      [['search', 'watch'], /usage: efficientbert search watch ID/],
      [['search', 'start', '--seed', 'abc'], /--seed must be a non-negative integer/],
      [['search', 'list', '--no-such-flag'], /Unknown option '--no-such-flag'/],
      [['classify', 'text only'], /--model and at least one text are required/],
      [['dev', 'sideways'], /unknown dev action 'sideways'/],
      [['nope'], /unknown command 'nope'/],
    ];
    for (const [args, pattern] of cases) {
      const r = await runCli(args, { env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
    }
  });

  it('documents the exit codes and the configuration in --help', async () => {
    const top = await runCli(['--help'], { env });
    assert.equal(top.code, 0);
    assert.match(
      top.stdout,
      /exit codes \(every command\): 0 ok, 1 failure .* 2 usage error, 3 a service is unreachable/s,
    );
    const search = await runCli(['search', '--help'], { env });
    assert.equal(search.code, 0);
    assert.match(search.stdout, /exit codes: 0 ok/);
    assert.match(search.stdout, /EFFICIENTBERT_SEARCH_ADDRESS \/ "searchAddress"/);
    assert.match(search.stdout, /flag > environment variable > config file > default/);
  });
});
