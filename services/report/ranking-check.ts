/**
 * The rank check (`--verify-ranking`): the best stage 1-2 candidates by proxy reward, each through
 * the final training, and Kendall's tau between the two rankings. A tau near 1 says the proxy
 * orders architectures as the full training does; near 0, that its ranking is noise.
 */
import { escapeHtml, grouped, millions, score } from './format';
import type { RankingCheckReport } from './report-data';

export function tauText(tau: number | null): string {
  return tau === null ? 'undefined (fewer than two trained, or all ties)' : tau.toFixed(3);
}

export function rankingCheckHtml(check: RankingCheckReport): string {
  const rows = check.entries.map(
    (e, i) =>
      `<tr><td class="num">${i + 1}</td><td><span class="id">${escapeHtml(e.candidateId)}</span></td>` +
      `<td><code>${escapeHtml(e.architecture)}</code></td>` +
      `<td class="num" title="${grouped(e.parameters)}">${millions(e.parameters)}</td>` +
      `<td class="num">${score(e.proxyReward)}</td>` +
      `<td class="num">${e.finalReward === null ? 'failed' : score(e.finalReward)}</td></tr>`,
  );
  return (
    `<p class="tau">Kendall’s tau-b (proxy vs final): <strong>${tauText(check.kendallTau)}</strong> ` +
    `<span class="muted">over ${check.entries.length} candidates</span></p>` +
    '<table class="ranking"><thead><tr><th class="num">Proxy rank</th><th>Candidate</th>' +
    '<th>Architecture</th><th class="num">Params</th><th class="num">Proxy reward</th>' +
    `<th class="num">Final reward</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}
