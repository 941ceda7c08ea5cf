import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isolatedStackEnv, runCli } from './cli-process';

/** The quickstart with the fake trainer (no model is exported, so classification is skipped). */
describe('efficientbert quickstart', { timeout: 600_000 }, () => {
  let stateDir: string;
  let env: Record<string, string>;

  before(async () => {
    stateDir = await fs.mkdtemp(path.join(tmpdir(), 'eb-cli-quickstart-'));
    env = await isolatedStackEnv(stateDir);
  });
  after(async () => {
    await runCli(['dev', 'down'], { env });
    await fs.rm(stateDir, { recursive: true, force: true });
  });

  for (const run of ['first', 'second']) {
    it(`runs end to end and stops the stack (${run} run, same state)`, async () => {
      const r = await runCli(['quickstart', '--trainer', 'fake', '--steps', '3'], {
        env,
        timeoutMs: 300_000,
      });
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const id = /^search (search-[0-9a-f]{24}) /m.exec(r.stdout)?.[1];
      assert.ok(id, r.stdout);
      assert.match(r.stdout, /status=COMPLETED stage=done .*final=true/);
      assert.match(r.stdout, /skipping the model: the fake trainer exports none/);
      const report = path.join(stateDir, 'reports', id, 'report.html');
      assert.match(r.stdout, new RegExp(`wrote ${report}`));
      assert.ok(existsSync(report));
      assert.match(
        r.stdout,
        new RegExp(`Temporal UI: http://127.0.0.1:${env.EFFICIENTBERT_TEMPORAL_UI_PORT}`),
      );
      assert.match(
        r.stdout,
        /stopping the local stack\ninference: stopped\nsearch: stopped\nworker: stopped\ntemporal: stopped/,
      );
    });
  }
});
