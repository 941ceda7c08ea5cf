/** The report's opening: what was searched, how long it took, and what came out. */
import { duration, escapeHtml, grouped, latency, millions, score, utc } from './format';
import { tauText } from './ranking-check';
import type { ReportData } from './report-data';

function facts(entries: readonly (readonly [string, string])[]): string {
  const items = entries.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${v}</dd></div>`);
  return `<dl class="facts">${items.join('')}</dl>`;
}

/**
 * The winner against the plain baseline at its budget, metric by metric (the paper's claim, per
 * search). Nothing when the search has no trained baseline.
 */
function baselineFacts(data: ReportData): [string, string][] {
  const { baseline, winner } = data;
  if (!baseline) return [];
  const rows = Object.entries(baseline.metrics).map(([name, v]) => {
    const w = winner.metrics[name];
    const delta =
      w === undefined ? '' : ` <span class="muted">(winner ${w >= v ? '+' : ''}${score(w - v)})</span>`;
    return `${escapeHtml(name)} ${score(v)}${delta}`;
  });
  return [
    [
      'Baseline (plain GELU FFNs, same final training)',
      `${millions(baseline.parameters)} <span class="muted">(${grouped(baseline.parameters)})</span>`,
    ],
    ['Baseline metrics', rows.length > 0 ? rows.join('<br>') : '—'],
  ];
}

/** `winnerId`: the evaluated candidate the winner is, when it is one. */
export function summaryHtml(data: ReportData, winnerId: string | undefined): string {
  const { config } = data.preset;
  const shape = `H=${config.hidden}, ${config.layers} layers, ${config.heads} heads, embedding ${config.embed}`;
  const { winner } = data;
  const metrics = Object.entries(winner.metrics).map(([name, v]) => `${escapeHtml(name)} ${score(v)}`);
  const evaluated = data.stages.reduce((n, s) => n + s.candidates.length, 0);
  const search = facts([
    ['Seed', String(data.seed)],
    ['Preset', `${escapeHtml(data.preset.name)} <span class="muted">(${shape})</span>`],
    ['Tasks', data.tasks.map(escapeHtml).join(', ')],
    ['Started', utc(data.startedAt)],
    ['Finished', utc(data.finishedAt)],
    ['Duration', duration(Date.parse(data.finishedAt) - Date.parse(data.startedAt))],
    ['Candidates evaluated', String(evaluated)],
  ]);
  const result = facts([
    [
      'Winner',
      winnerId ? escapeHtml(winnerId) : '<span class="muted">not among the evaluated candidates</span>',
    ],
    [
      'Winner parameters',
      `${millions(winner.parameters)} <span class="muted">(${grouped(winner.parameters)})</span>`,
    ],
    ['Winner metrics', metrics.length > 0 ? metrics.join('<br>') : '—'],
    [
      winner.latencyNote ? `Winner latency (${winner.latencyNote})` : 'Winner latency',
      latency(winner.latencyMs),
    ],
    ...baselineFacts(data),
    ...(data.rankingCheck
      ? ([['Kendall’s tau, proxy vs final', tauText(data.rankingCheck.kendallTau)]] as [string, string][])
      : []),
  ]);
  const stageRows = data.stages.map((s) => {
    const best = s.candidates.reduce((m, c) => Math.max(m, c.reward), Number.NEGATIVE_INFINITY);
    const measured = s.candidates.filter((c) => c.latencyMs !== null).length;
    return (
      `<tr><td>${escapeHtml(s.name)}</td><td class="num">${s.candidates.length}</td>` +
      `<td class="num">${s.candidates.length > 0 ? score(best) : '—'}</td><td class="num">${measured}</td></tr>`
    );
  });
  const stages =
    '<table class="stages"><thead><tr><th>Stage</th><th>Candidates</th><th>Best reward</th>' +
    `<th>Latency measured</th></tr></thead><tbody>${stageRows.join('')}</tbody></table>`;
  return `<div class="summary">${search}${result}</div>${stages}`;
}
