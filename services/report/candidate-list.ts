/**
 * Every candidate the search evaluated, one row each, stage by stage in evaluation order: the
 * leaderboard shows each stage's best, this shows the rest too (including the unscored ones,
 * whose training failed or whose architecture was invalid).
 */
import { escapeHtml, grouped, millions, score } from './format';
import type { StageReport, UnscoredCandidate } from './report-data';

interface Row {
  readonly id: string;
  readonly stage: string;
  readonly architecture: string;
  readonly cells: string;
}

export function candidateListTable(
  stages: readonly StageReport[],
  unscored: readonly UnscoredCandidate[],
): string {
  const scored = stages.flatMap((s) =>
    s.candidates.map(
      (c): Row => ({
        ...c,
        cells:
          `<td class="num" title="${grouped(c.parameters)}">${millions(c.parameters)}</td>` +
          `<td class="num">${score(c.reward)}</td><td>ok</td>`,
      }),
    ),
  );
  const rest = unscored.map(
    (u): Row => ({
      ...u,
      cells: `<td class="num">—</td><td class="num">—</td><td title="${escapeHtml(u.error)}">${u.status}</td>`,
    }),
  );
  const order = stages.map((s) => s.name);
  // Ids are `<stage>-<index, 4 digits>`: within a stage they sort in evaluation order.
  const rows = [...scored, ...rest].sort(
    (a, b) => order.indexOf(a.stage) - order.indexOf(b.stage) || a.id.localeCompare(b.id),
  );
  const body = rows
    .map(
      (r) =>
        `<tr><td><span class="id">${escapeHtml(r.id)}</span></td><td>${escapeHtml(r.stage)}</td>` +
        `<td><code>${escapeHtml(r.architecture)}</code></td>${r.cells}</tr>`,
    )
    .join('');
  return (
    '<table class="candidates"><thead><tr><th>Candidate</th><th>Stage</th><th>Architecture</th>' +
    '<th class="num">Params</th><th class="num">Reward</th><th>Status</th>' +
    `</tr></thead><tbody>${body}</tbody></table>`
  );
}
