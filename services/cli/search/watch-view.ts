/**
 * What `search watch` shows, as pure functions of a ProgressEvent (proto-loader shape): a
 * multi-line frame for terminals (per-stage bars, top-5 leaderboard, ETA), redrawn in place with
 * ANSI cursor control, and one plain line per event for pipes and logs.
 */
import { RUN_ORDER } from '../../../efficientbert/search';
import type { Message } from '../rpc';

/**
 * In running order; `warmup` (the supernet), `sharing` (stage 3's weight-sharing supernet),
 * `final` (the winner) and `baseline` (the plain model it is measured against) train one model each;
 * `verify` (the rank check) trains up to `--verify-ranking` of them.
 */
export const STAGES = RUN_ORDER;
const BAR_WIDTH = 24;
const LEADERBOARD_ROWS = 5;

/** ANSI: hide/show the cursor; move to the start of the line n lines up and clear to the end. */
export const ANSI = {
  hideCursor: '\x1b[?25l',
  showCursor: '\x1b[?25h',
  rewind: (lines: number) => (lines > 0 ? `\x1b[${lines}F\x1b[J` : ''),
};

export function statusName(status: unknown): string {
  return String(status ?? '').replace(/^SEARCH_STATUS_/, '');
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * The ETA when the server gave one (an unset proto3 optional arrives as absent or null; an int64
 * arrives as a decimal string, services/grpc/protos.ts).
 */
function eta(progress: Message): number | undefined {
  const v = progress.eta_ms;
  return typeof v === 'string' && (progress._eta_ms === undefined || progress._eta_ms === 'eta_ms')
    ? Number(v)
    : undefined;
}

function plannedOf(stage: string, spec: Message | undefined): number {
  // A search given a warm-up supernet does not train one.
  if (stage === 'warmup') return spec?.supernet_ref ? 0 : 1;
  if (stage === 'sharing' || stage === 'final' || stage === 'baseline') return 1;
  if (stage === 'verify') return Number(spec?.verify_ranking ?? 0);
  return Number(spec?.stages?.[`${stage}_candidates`] ?? 0);
}

/**
 * Evaluated/planned per stage: finished stages full, the current one from the event, later ones
 * empty; stages with nothing planned are left out.
 */
export function stageCounts(
  progress: Message,
  spec: Message | undefined,
): { stage: string; done: number; of: number }[] {
  const current = String(progress.stage ?? 'pending');
  const at = current === 'done' ? STAGES.length : STAGES.indexOf(current as (typeof STAGES)[number]);
  return STAGES.map((stage, i) => {
    const of = i === at ? Number(progress.stage_planned ?? 0) : plannedOf(stage, spec);
    const done = i < at ? of : i === at ? Number(progress.stage_evaluated ?? 0) : 0;
    return { stage, done, of };
  }).filter((s) => s.of > 0 || s.stage === current);
}

export function bar(done: number, of: number, width = BAR_WIDTH): string {
  const filled = of > 0 ? Math.min(width, Math.round((done / of) * width)) : 0;
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** The terminal frame of one event: every line already clipped to `columns`. */
export function frame(event: Message, spec: Message | undefined, columns: number): string[] {
  const p: Message = event.progress ?? {};
  const etaMs = eta(p);
  const head = [
    event.search_id,
    statusName(event.status),
    `stage ${p.stage ?? 'pending'}`,
    `${p.evaluated ?? 0}/${p.planned ?? 0} candidates`,
    `elapsed ${duration(Number(p.elapsed_ms ?? 0))}`,
    etaMs === undefined ? 'ETA -' : `ETA ${duration(etaMs)}`,
  ].join('  ');
  const lines = [head, ''];
  for (const { stage, done, of } of stageCounts(p, spec)) {
    const pct = of > 0 ? `${Math.round((100 * done) / of)}%`.padStart(4) : '   -';
    lines.push(`  ${stage.padEnd(7)} ${bar(done, of)} ${pct}  ${done}/${of}`);
  }
  lines.push('', `  top ${LEADERBOARD_ROWS}:`);
  const board: Message[] = p.leaderboard ?? [];
  if (board.length === 0) lines.push('    (no candidate evaluated yet)');
  board.slice(0, LEADERBOARD_ROWS).forEach((c, i) => {
    lines.push(`    ${i + 1}. ${Number(c.reward).toFixed(4)}  ${String(c.id).padEnd(11)}  ${c.arch}`);
  });
  return lines.map((l) => clip(l, columns));
}

/** One line per event, for pipes: stable `key=value` fields a script can grep. */
export function plainLine(event: Message): string {
  const p: Message = event.progress ?? {};
  const etaMs = eta(p);
  const best: Message | undefined = p.best ?? p.leaderboard?.[0];
  return [
    `search=${event.search_id}`,
    `status=${statusName(event.status)}`,
    `stage=${p.stage ?? 'pending'}`,
    `stage_progress=${p.stage_evaluated ?? 0}/${p.stage_planned ?? 0}`,
    `evaluated=${p.evaluated ?? 0}/${p.planned ?? 0}`,
    `best=${best ? `${Number(best.reward).toFixed(4)}(${best.id})` : '-'}`,
    `elapsed=${duration(Number(p.elapsed_ms ?? 0))}`,
    ...(etaMs === undefined ? [] : [`eta=${duration(etaMs)}`]),
    ...(event.final ? ['final=true'] : []),
  ].join(' ');
}
