import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeHfBertFolders } from '../helpers/hf-bert-folder';
import { type Reply, SearchTestClient } from '../helpers/temporal-grpc';
import { type CliResult, isolatedStackEnv, runCli } from './cli-process';

/**
 * The quickstart with the fake trainer (no model is exported, so classification is skipped). The
 * first run distils from a Hugging Face folder (a transformers-written BERT standing in for the
 * MiniLM that `npm start` fetches) and leaves the stack up, so the test can read the started
 * spec back; the second reuses that state, trains its teacher from scratch and stops the stack.
 * Both name the teacher, so a MiniLM fetched on this machine changes nothing.
 */
describe('efficientbert quickstart', { timeout: 600_000 }, () => {
  let stateDir: string;
  let env: Record<string, string>;
  let teacherDir: string;

  before(async () => {
    stateDir = await fs.mkdtemp(path.join(tmpdir(), 'eb-cli-quickstart-'));
    env = await isolatedStackEnv(stateDir);
    makeHfBertFolders(path.join(stateDir, 'hf'));
    teacherDir = path.join(stateDir, 'hf', 'st');
  });
  after(async () => {
    await runCli(['dev', 'down'], { env });
    await fs.rm(stateDir, { recursive: true, force: true });
  });

  const quickstart = async (...flags: string[]) => {
    const r = await runCli(['quickstart', '--trainer', 'fake', '--steps', '3', ...flags], {
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
    assert.match(r.stdout, new RegExp(`Temporal UI: http://127.0.0.1:${env.EFFICIENTBERT_TEMPORAL_UI_PORT}`));
    return { r, id };
  };

  it('refuses --teacher-dir with --scratch-teacher before starting anything', async () => {
    const r: CliResult = await runCli(['quickstart', '--teacher-dir', teacherDir, '--scratch-teacher'], {
      env,
    });
    assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /--teacher-dir and --scratch-teacher: give one/);
    assert.doesNotMatch(r.stdout, /starting the local stack/);
  });

  it('distils from a given teacher folder with the longer warm-up fine-tune (first run)', async () => {
    const { r, id } = await quickstart('--teacher-dir', teacherDir, '--keep-running');
    const ref = new RegExp(`^teacher: ${teacherDir} \\(imported as (sha256:[0-9a-f]{64})\\)`, 'm').exec(
      r.stdout,
    )?.[1];
    assert.ok(ref, r.stdout);
    assert.match(r.stdout, /the stack keeps running/);
    const client = new SearchTestClient(env.EFFICIENTBERT_SEARCH_ADDRESS!);
    let info: Reply;
    try {
      info = await client.call('GetSearch', { search_id: id });
    } finally {
      client.raw.close();
    }
    assert.equal(info.spec.teacher_ref, ref);
    assert.equal(info.spec.method.warmup.finetune_steps, 600);
  });

  it('trains its teacher from scratch and stops the stack (second run, same state)', async () => {
    const { r } = await quickstart('--scratch-teacher');
    assert.match(r.stdout, /^teacher: trained from scratch by the search$/m);
    assert.match(
      r.stdout,
      /stopping the local stack\ninference: stopped\nsearch: stopped\nworker: stopped\ntemporal: stopped/,
    );
  });
});
