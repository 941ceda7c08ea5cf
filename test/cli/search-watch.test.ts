import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli, runCliInPty } from './cli-process';
import { startScriptedSearchServer } from './scripted-search-server';

const ESC = '\x1b';
/** Cursor to the start of the line N lines up, then clear to the end of the screen. */
const REWIND = new RegExp(`${ESC}\\[\\d+F${ESC}\\[J`, 'g');

describe('efficientbert search watch', { timeout: 120_000 }, () => {
  let server: Awaited<ReturnType<typeof startScriptedSearchServer>>;
  let env: Record<string, string>;

  before(async () => {
    server = await startScriptedSearchServer();
    env = { EFFICIENTBERT_SEARCH_ADDRESS: server.address };
  });
  after(async () => {
    await server?.close();
  });

  it('redraws one frame in place on a terminal: stage bars, top 5, ETA', async () => {
    const r = await runCliInPty(['search', 'watch', 'search-ok'], { env });
    assert.equal(r.code, 0, r.stdout);
    const out = r.stdout;
    assert.ok(out.startsWith(`${ESC}[?25l`), 'hides the cursor first');
    assert.ok(out.trimEnd().endsWith(`${ESC}[?25h`), 'shows the cursor again at the end');
    // Every frame after the first moves back up over the previous one and clears it.
    const rewinds = out.match(REWIND) ?? [];
    assert.equal(rewinds.length, 3, 'four events, three redraws');
    const frames = out.split(REWIND);
    assert.match(frames[1]!, /search-ok {2}RUNNING {2}stage stage1 .*ETA 3s/);
    assert.match(frames[1]!, /stage1 +█{18}░{6} +75% {2}3\/4/);
    assert.match(frames[1]!, /top 5:\s+1\. 0\.8100 {2}stage1-0002/);
    assert.match(frames[3]!, /COMPLETED {2}stage done .*ETA -/);
    assert.match(frames[3]!, /stage3 +█{24} 100% {2}2\/2/);
  });

  it('prints one plain line per event when piped, and no terminal control', async () => {
    const r = await runCli(['search', 'watch', 'search-ok'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(ESC));
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 4);
    assert.equal(
      lines[1],
      'search=search-ok status=RUNNING stage=stage1 stage_progress=3/4 evaluated=3/11 best=0.8100(stage1-0002) elapsed=2s eta=3s',
    );
    assert.match(lines[3]!, /status=COMPLETED stage=done .* final=true$/);
  });

  it('prints one JSON event per line with --json', async () => {
    const r = await runCli(['search', 'watch', 'search-ok', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(events.length, 4);
    assert.deepEqual(Object.keys(events[0]).sort(), ['final', 'progress', 'search_id', 'sequence', 'status']);
    assert.equal(events[3].status, 'SEARCH_STATUS_COMPLETED');
    assert.equal(events[3].final, true);
  });

  it('exits 1 when the search ends FAILED, and 1 with the server message for an unknown id', async () => {
    const failed = await runCli(['search', 'watch', 'search-failed'], { env });
    assert.equal(failed.code, 1);
    assert.match(failed.stdout, /status=FAILED/);
    const unknown = await runCli(['search', 'watch', 'search-nope'], { env });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /search service: NOT_FOUND: no search 'search-nope'/);
  });
});
