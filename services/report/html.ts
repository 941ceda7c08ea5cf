/**
 * The page shell: one self-contained HTML document (inline CSS, inline SVG, no scripts, no web
 * fonts), readable on screen and printable. Figures carry `data-figure` so tests and readers can
 * find each one.
 */
import { escapeHtml } from './format';

export interface Figure {
  /** File stem of the figure's .svg beside the HTML, and its `data-figure` name. */
  readonly name: string;
  /** HTML of the heading above the figure. */
  readonly title: string;
  /** HTML shown under the figure, if any. */
  readonly caption?: string;
  readonly svg: string;
}

export function figureHtml(figure: Figure, className = 'figure'): string {
  return (
    `<figure class="${className}" data-figure="${escapeHtml(figure.name)}">` +
    `<h3>${figure.title}</h3>` +
    `<div class="plot">${figure.svg}</div>` +
    (figure.caption ? `<figcaption>${figure.caption}</figcaption>` : '') +
    '</figure>'
  );
}

export function section(id: string, title: string, body: string, intro = ''): string {
  const lead = intro ? `<p class="intro">${intro}</p>` : '';
  return `<section id="${id}"><h2>${escapeHtml(title)}</h2>${lead}${body}</section>`;
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1f2328;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
header h1{font-size:24px;margin:0 0 4px}
header .sub{color:#57606a;margin:0 0 16px}
section{background:#fff;border:1px solid #d8dee4;border-radius:8px;padding:18px 22px;margin:0 0 20px}
h2{font-size:18px;margin:0 0 10px}
.intro{color:#57606a;margin:0 0 14px;max-width:900px}
.muted{color:#6e7781}
code{font:12.5px/1.4 ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace}
.summary{display:grid;grid-template-columns:3fr 2fr;gap:8px 32px;align-items:start}
dl.facts{margin:0;display:grid;grid-template-columns:max-content 1fr;gap:4px 14px}
dl.facts div{display:contents}
dt{color:#57606a}
dd{margin:0;font-weight:500}
table{border-collapse:collapse;width:100%}
th,td{padding:6px 10px;border-bottom:1px solid #e6e9ed;text-align:left;vertical-align:top}
th{font-weight:600;color:#424a53;background:#f6f8fa;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.stages{width:auto;margin-top:14px}
table.stages td.num{min-width:90px}
table.leaderboard tr.winner td{background:#fff3f3}
table.leaderboard tr.winner td:first-child{box-shadow:inset 3px 0 0 #d62728}
.id{font-weight:600;white-space:nowrap}
tr.group th{background:#eef1f4;font-size:13px;padding-top:8px}
.badge{display:inline-block;margin-top:3px;padding:0 6px;border-radius:8px;background:#d62728;color:#fff;font-size:11px;font-weight:600}
ol.arch{margin:0;padding-left:22px}
ol.arch li{white-space:nowrap}
ol.arch .size{display:inline-block;min-width:124px;color:#57606a;font-size:12px;font-variant-numeric:tabular-nums}
.figures{display:flex;flex-wrap:wrap;gap:18px}
figure{margin:0}
figure h3{font-size:14px;font-weight:600;margin:0 0 4px}
figcaption{color:#57606a;font-size:12.5px;max-width:460px;margin-top:4px}
.plot svg{display:block;max-width:100%;height:auto}
.layers{display:grid;grid-template-columns:repeat(3,1fr);gap:14px}
figure.layer{border:1px solid #e6e9ed;border-radius:6px;padding:10px 12px}
figure.layer h3 code{display:block;white-space:normal;overflow-wrap:anywhere;color:#1f2328;margin-top:2px}
.note{color:#6e7781;font-style:italic}
@media print{body{background:#fff}section{break-inside:avoid;border:none;padding:0}}
`;

export function page(title: string, subtitle: string, sections: readonly string[]): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS.trim()}</style></head><body><main>`,
    `<header><h1>${escapeHtml(title)}</h1><p class="sub">${subtitle}</p></header>`,
    ...sections,
    '</main></body></html>',
    '',
  ].join('\n');
}
