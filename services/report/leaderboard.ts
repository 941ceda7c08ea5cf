/**
 * The leaderboard: each stage's best candidates by reward, as one HTML table with a group per
 * stage. Ranks are within a stage because each stage scores with its own proxy. Ties keep
 * evaluation order, so the earlier candidate ranks first, as the search's own leaderboard does.
 */
import { parseArchitecture } from '../../efficientbert/space/parse';
import type { StudentConfig } from '../../efficientbert/space/presets';
import { escapeHtml, grouped, latency, millions, score } from './format';
import { architectureList } from './layer-text';
import type { CandidateReport, StageReport } from './report-data';

export const TOP_PER_STAGE = 5;

function topCandidates(candidates: readonly CandidateReport[], k = TOP_PER_STAGE): CandidateReport[] {
  return candidates
    .map((c, order) => ({ c, order }))
    .sort((a, b) => b.c.reward - a.c.reward || a.order - b.order)
    .slice(0, k)
    .map(({ c }) => c);
}

function row(config: StudentConfig, c: CandidateReport, rank: number, winnerId: string | undefined): string {
  const mark = c.id === winnerId ? ' class="winner" title="the winner"' : '';
  const badge = c.id === winnerId ? '<br><span class="badge">winner</span>' : '';
  return (
    `<tr${mark}><td class="num">${rank}</td>` +
    `<td><span class="id">${escapeHtml(c.id)}</span>${badge}</td>` +
    `<td>${architectureList(config, parseArchitecture(c.architecture))}</td>` +
    `<td class="num" title="${grouped(c.parameters)}">${millions(c.parameters)}</td>` +
    `<td class="num">${score(c.reward)}</td>` +
    `<td class="num">${latency(c.latencyMs)}</td></tr>`
  );
}

export function leaderboardTable(
  config: StudentConfig,
  stages: readonly StageReport[],
  winnerId: string | undefined,
): string {
  const groups = stages.map((s) => {
    const top = topCandidates(s.candidates);
    const head =
      `<tr class="group"><th colspan="6">${escapeHtml(s.name)} ` +
      `<span class="muted">· best ${top.length} of ${s.candidates.length}</span></th></tr>`;
    return head + top.map((c, i) => row(config, c, i + 1, winnerId)).join('');
  });
  return (
    '<table class="leaderboard"><thead><tr>' +
    '<th class="num">Rank</th><th>Candidate</th><th>Architecture: per layer, stack × width and FFN</th>' +
    '<th class="num">Params</th><th class="num">Reward</th><th class="num">Latency</th>' +
    `</tr></thead><tbody>${groups.join('')}</tbody></table>`
  );
}
