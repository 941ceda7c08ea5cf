/** Text formatting of report values: HTML escaping and the units every section shares. */

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Safe in element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** 15737724 → "15.74 M". */
export function millions(n: number): string {
  return `${(n / 1e6).toFixed(2)} M`;
}

/** 15737724 → "15,737,724" (no locale data needed). */
export function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function score(n: number): string {
  return n.toFixed(4);
}

export function latency(ms: number | null): string {
  return ms === null ? '—' : `${ms.toFixed(1)} ms`;
}

/** Whole seconds, as "2 h 03 min 09 s" / "3 min 09 s" / "9 s". */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min ${sec} s`;
  return m > 0 ? `${m} min ${sec} s` : `${s % 60} s`;
}

/** "2026-11-24T15:58:17.000Z" → "2026-11-24 15:58:17 UTC": one time zone for every reader. */
export function utc(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
