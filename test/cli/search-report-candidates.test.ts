/**
 * `search report` lists every candidate the search evaluated (every page of ListCandidates, not
 * only the leaderboard) and the search's rank check, in the HTML and in --json. A scripted search
 * service stands in for the search; no latency is measured (--latency-runs 0).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from './cli-process';
import { startScriptedSearchServer } from './scripted-search-server';

describe('efficientbert search report: every candidate and the rank check', { timeout: 120_000 }, () => {
  let search: Awaited<ReturnType<typeof startScriptedSearchServer>>;
  let root: string;

  async function report(id: string) {
    const out = await fs.mkdtemp(path.join(root, `${id}-`));
    const r = await runCli(['search', 'report', id, '--out', out, '--json', '--latency-runs', '0'], {
      env: { EFFICIENTBERT_SEARCH_ADDRESS: search.address, EFFICIENTBERT_STATE_DIR: root },
    });
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    return { json, html: await fs.readFile(json.htmlPath, 'utf8') };
  }

  before(async () => {
    root = await fs.mkdtemp(path.join(tmpdir(), 'eb-cli-report-candidates-'));
    search = await startScriptedSearchServer();
  });
  after(async () => {
    await search?.close();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('lists candidates below the leaderboard and the failed one, from every page', async () => {
    const { json, html } = await report('search-ok');
    // The leaderboard holds stage1-0002 and stage1-0000; the rest come from later pages.
    const ids = json.candidates.map((c: { id: string }) => c.id).sort();
    assert.deepEqual(ids, ['stage1-0000', 'stage1-0001', 'stage1-0002', 'stage1-0003', 'stage2-0000']);
    assert.deepEqual(
      json.candidates.find((c: { id: string }) => c.id === 'stage1-0003'),
      { id: 'stage1-0003', stage: 'stage1', status: 'failed', reward: null },
    );
    const table = html.slice(html.indexOf('<table class="candidates">'));
    assert.ok(table.includes('<span class="id">stage1-0001</span>'), 'a candidate off the leaderboard');
    assert.ok(table.includes('<span class="id">stage1-0003</span>'), 'the failed candidate');
    assert.match(
      table,
      /stage1-0003<\/span><\/td><td>stage1<\/td><td><code>[^<]*<\/code><\/td><td class="num">—<\/td><td class="num">—<\/td><td title="trainer exited with SIGKILL">failed</,
    );
  });

  it('shows the rank check: each verified candidate’s proxy and final reward, and tau', async () => {
    const { json, html } = await report('search-ok');
    assert.equal(json.rankingCheck.kendallTau, 1 / 3);
    assert.deepEqual(
      json.rankingCheck.entries.map(
        (e: { candidateId: string; proxyReward: number; finalReward: number }) => [
          e.candidateId,
          e.proxyReward,
          e.finalReward,
        ],
      ),
      [
        ['stage1-0002', 0.81, 0.86],
        ['stage1-0000', 0.74, 0.88],
        ['stage1-0001', 0.52, 0.7],
      ],
    );
    assert.ok(html.includes('Kendall’s tau-b (proxy vs final): <strong>0.333</strong>'));
    assert.match(
      html,
      /<span class="id">stage1-0000<\/span><\/td><td><code>[^<]*<\/code><\/td><td class="num"[^>]*>[^<]*<\/td><td class="num">0\.7400<\/td><td class="num">0\.8800<\/td>/,
    );
  });

  it('leaves the rank check out where the search ran none', async () => {
    const { json, html } = await report('search-ok-2');
    assert.equal(json.rankingCheck, null);
    assert.ok(!html.includes('Proxy vs final ranking'));
    assert.ok(html.includes('<span class="id">stage1-0001</span>'), 'still every candidate');
  });
});
