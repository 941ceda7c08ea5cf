/**
 * Renders the fixture search (a fake three-stage search over the real space) and checks the
 * report as files, as a DOM in headless Chromium, and as pixels of a full-page screenshot.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { parseArchitecture } from '../../../efficientbert/space/parse';
import { mathExpr } from '../../../efficientbert/space/print';
import { TOP_PER_STAGE } from '../../../services/report/leaderboard';
import { REPORT_FILE, type RenderedReport, renderSearchReport } from '../../../services/report/render';
import { type ReportData, validateReportData } from '../../../services/report/report-data';
import { Chromium, findChromium, MISSING_CHROMIUM } from './chromium';

const FIXTURE = path.join(__dirname, '../../fixtures/report/search-results.json');
const VIEWPORT = { width: 1240, height: 900 };

interface FigureFacts {
  name: string;
  hasSvg: boolean;
  x: number;
  y: number;
  width: number;
  height: number;
  symbols: number;
  lines: number;
}

interface PageFacts {
  figures: FigureFacts[];
  sections: string[];
  rows: { id: string; winner: boolean; layers: number; arch: string }[];
  layerCode: string[];
  scripts: number;
  linked: number;
}

/** Runs in the page: what the checks need, as plain JSON. Data marks are vega's `role-mark` groups. */
const PAGE_FACTS = `(() => ({
  figures: [...document.querySelectorAll('[data-figure]')].map((f) => {
    const svg = f.querySelector('svg');
    const r = (svg ?? f).getBoundingClientRect();
    return {
      name: f.dataset.figure, hasSvg: svg !== null,
      x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height,
      symbols: svg ? svg.querySelectorAll('.mark-symbol.role-mark path').length : 0,
      lines: svg ? svg.querySelectorAll('.mark-line.role-mark path').length : 0,
    };
  }),
  sections: [...document.querySelectorAll('section')].map((s) => s.id),
  rows: [...document.querySelectorAll('table.leaderboard tbody tr:not(.group)')].map((tr) => ({
    id: tr.querySelector('.id').textContent, winner: tr.classList.contains('winner'),
    layers: tr.querySelectorAll('ol.arch li').length, arch: tr.querySelector('ol.arch').textContent,
  })),
  layerCode: [...document.querySelectorAll('figure.layer h3 code')].map((c) => c.textContent),
  scripts: document.scripts.length,
  linked: document.querySelectorAll('[src], link[href]').length,
}))()`;

describe('search report of the fixture search', () => {
  let data: ReportData;
  let out: string;
  let report: RenderedReport;
  const layers = (): number => data.preset.config.layers;
  const expectedFigures = (): string[] => [
    'pareto-parameters',
    'pareto-latency',
    'progress',
    ...Array.from({ length: layers() }, (_, i) => `layer-${i + 1}`),
  ];

  before(async () => {
    data = validateReportData(JSON.parse(fs.readFileSync(FIXTURE, 'utf8')));
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'report-test-'));
    report = await renderSearchReport(data, out);
  });

  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('writes one HTML file and one SVG per figure, each SVG also inlined in the HTML', () => {
    assert.equal(report.htmlPath, path.join(out, REPORT_FILE));
    assert.deepEqual(
      report.svgPaths.map((p) => path.basename(p, '.svg')),
      expectedFigures(),
    );
    const html = fs.readFileSync(report.htmlPath, 'utf8');
    for (const file of report.svgPaths) {
      const svg = fs.readFileSync(file, 'utf8');
      assert.match(
        svg,
        /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/,
        `${file} is not an SVG document`,
      );
      assert.ok(html.includes(svg), `${path.basename(file)} is not inlined in the HTML`);
    }
  });

  it('is self-contained: no scripts, no links, no remote fonts or images', () => {
    const html = fs.readFileSync(report.htmlPath, 'utf8');
    assert.doesNotMatch(html, /<script|<link|<img|<iframe|@import|@font-face/i);
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i);
    assert.doesNotMatch(html, /url\((["']?)(https?:)?\/\//i);
  });

  describe('in headless Chromium', () => {
    const binary = findChromium();
    let browser: Chromium | undefined;
    let facts: PageFacts;

    before(async () => {
      if (!binary) return;
      browser = await Chromium.launch(binary, VIEWPORT.width, VIEWPORT.height);
      await browser.open(`file://${report.htmlPath}`);
      facts = await browser.evaluate<PageFacts>(PAGE_FACTS);
    });

    after(async () => browser?.close());

    it('has every section and figure, each an SVG with data marks', () => {
      assert.ok(binary, MISSING_CHROMIUM);
      assert.deepEqual(facts.sections, [
        'summary',
        'pareto',
        'progress',
        'winner',
        'leaderboard',
        'candidates',
      ]);
      assert.deepEqual(
        facts.figures.map((f) => f.name),
        expectedFigures(),
      );
      assert.equal(facts.scripts, 0);
      assert.equal(facts.linked, 0);
      const candidates = data.stages.flatMap((s) => s.candidates);
      const timed = candidates.filter((c) => c.latencyMs !== null).length;
      const byName = new Map(facts.figures.map((f) => [f.name, f]));
      for (const f of facts.figures) {
        assert.ok(f.hasSvg && f.width > 100 && f.height > 100, `${f.name}: no SVG of a visible size`);
        assert.ok(f.lines > 0, `${f.name}: no line marks`);
      }
      // Every candidate is a point; each stage's front is a line.
      assert.ok(byName.get('pareto-parameters')!.symbols >= candidates.length);
      assert.ok(byName.get('pareto-latency')!.symbols >= timed);
      assert.equal(byName.get('pareto-parameters')!.lines, data.stages.length);
      assert.equal(byName.get('progress')!.symbols, candidates.length);
      assert.equal(byName.get('progress')!.lines, data.stages.length);
      // The searched curve and the GELU one.
      for (let i = 1; i <= layers(); i++) assert.equal(byName.get(`layer-${i}`)!.lines, 2);
    });

    it('shows the leaderboard in math form and the winner layer by layer', () => {
      assert.ok(binary, MISSING_CHROMIUM);
      assert.equal(facts.rows.length, data.stages.length * TOP_PER_STAGE);
      for (const row of facts.rows) {
        assert.equal(row.layers, layers(), `${row.id}: one line per layer`);
        assert.match(row.arch, /W1·/, `${row.id}: math form`);
        assert.doesNotMatch(row.arch, /linear|wb1/, `${row.id}: token form leaked into the table`);
      }
      // The winner is the last stage's best candidate, so it heads that stage's group.
      const last = data.stages[data.stages.length - 1]!;
      const best = last.candidates.reduce((b, c) => (c.reward > b.reward ? c : b));
      assert.deepEqual(
        facts.rows.filter((r) => r.winner).map((r) => r.id),
        [best.id],
      );
      const winner = parseArchitecture(data.winner.architecture);
      assert.deepEqual(
        facts.layerCode,
        winner.layers.map((l) => mathExpr(l.expr)),
      );
    });

    it('draws every figure: its region of a full-page screenshot is neither blank nor grey only', async (t) => {
      assert.ok(binary && browser, MISSING_CHROMIUM);
      const png = PNG.sync.read(await browser.screenshot());
      const inked = (x0: number, y0: number, w: number, h: number) => {
        let ink = 0;
        let colour = 0;
        for (let y = Math.round(y0); y < Math.round(y0 + h) && y < png.height; y++) {
          for (let x = Math.round(x0); x < Math.round(x0 + w) && x < png.width; x++) {
            const i = 4 * (y * png.width + x);
            const [r, g, b] = [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
            if (r < 235 || g < 235 || b < 235) ink++;
            // Saturated pixels are data marks (stage colours, the red winner); axes and text are grey.
            if (Math.max(r, g, b) - Math.min(r, g, b) > 60) colour++;
          }
        }
        return { ink: ink / (w * h), colour };
      };
      const page = inked(0, 0, png.width, png.height);
      t.diagnostic(`screenshot ${png.width}×${png.height}, ${(100 * page.ink).toFixed(1)}% inked`);
      assert.ok(page.ink > 0.02, `the page is nearly blank (${(100 * page.ink).toFixed(2)}% inked)`);
      for (const f of facts.figures) {
        assert.ok(f.y + f.height <= png.height, `${f.name} lies outside the screenshot`);
        const { ink, colour } = inked(f.x, f.y, f.width, f.height);
        t.diagnostic(`${f.name}: ${(100 * ink).toFixed(1)}% inked, ${colour} coloured pixels`);
        assert.ok(ink > 0.02, `${f.name} is nearly blank (${(100 * ink).toFixed(2)}% inked)`);
        assert.ok(colour > 300, `${f.name} shows no coloured marks (${colour} coloured pixels)`);
      }
    });
  });
});
