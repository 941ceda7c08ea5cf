/**
 * Renders a search report: one self-contained HTML file with every figure inlined as SVG, and each
 * figure also written as its own .svg beside it (for slides and papers).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Architecture } from '../../efficientbert/space/ast';
import { parseArchitecture, parseLayer } from '../../efficientbert/space/parse';
import { mathExpr, printArchitecture } from '../../efficientbert/space/print';
import { candidateListTable } from './candidate-list';
import { curveSpec } from './curve-figure';
import { ffnCurve } from './ffn-curve';
import { escapeHtml, utc } from './format';
import { type Figure, figureHtml, page, section } from './html';
import { layerSize } from './layer-text';
import { leaderboardTable, TOP_PER_STAGE } from './leaderboard';
import { type CostAxis, costRows, LATENCY_AXIS, PARAMETERS_AXIS, paretoSpec } from './pareto-figure';
import { progressRows, progressSpec } from './progress-figure';
import { rankingCheckHtml } from './ranking-check';
import type { CandidateReport, ReportData } from './report-data';
import { summaryHtml } from './summary';
import { renderSvg } from './vega-svg';

export const REPORT_FILE = 'report.html';

export interface RenderedReport {
  readonly htmlPath: string;
  /** Every figure's .svg, in the order the report shows them. */
  readonly svgPaths: string[];
}

/** The plain FFN every searched layer is compared with: W2·gelu(W1·x) at any size. */
const PLAIN_GELU_FFN = parseLayer('linear1_1(gelu(linear1_1(x,wb1)),wb2)').expr;

/**
 * The evaluated candidate the winner came from: same architecture (compared in normal form), best
 * reward if it was evaluated more than once. Undefined when the winner is not among them.
 */
function winnerCandidate(
  candidates: readonly CandidateReport[],
  winner: Architecture,
): CandidateReport | undefined {
  const text = printArchitecture(winner);
  return candidates
    .filter((c) => printArchitecture(parseArchitecture(c.architecture)) === text)
    .reduce<CandidateReport | undefined>((b, c) => (!b || c.reward > b.reward ? c : b), undefined);
}

async function paretoFigure(
  name: string,
  title: string,
  data: ReportData,
  axis: CostAxis,
  winner: CandidateReport | undefined,
): Promise<Figure | undefined> {
  const candidates = data.stages.flatMap((s) => s.candidates);
  const rows = costRows(candidates, axis);
  if (rows.length === 0) return undefined;
  const plotted = rows.some((r) => r.id === winner?.id);
  const caption =
    `${rows.length} of ${candidates.length} candidates, coloured by stage. Each stage’s Pareto front is ` +
    'its staircase: no candidate of that stage is both cheaper and better than a point on it. ' +
    (plotted ? 'The red diamond is the winner.' : 'The winner has no point here.');
  const spec = paretoSpec(
    rows,
    data.stages.map((s) => s.name),
    axis,
    winner?.id,
  );
  return { name, title, caption, svg: await renderSvg(spec) };
}

async function layerFigures(data: ReportData, winner: Architecture): Promise<Figure[]> {
  const gelu = ffnCurve(PLAIN_GELU_FFN);
  return Promise.all(
    winner.layers.map(async (layer, i) => {
      const math = mathExpr(layer.expr);
      const plain = math === mathExpr(PLAIN_GELU_FFN) ? ' <span class="muted">(plain GELU FFN)</span>' : '';
      return {
        name: `layer-${i + 1}`,
        title:
          `Layer ${i + 1} <span class="muted">· ${escapeHtml(layerSize(data.preset.config, layer))}</span>` +
          `<code>${escapeHtml(math)}</code>${plain}`,
        svg: await renderSvg(curveSpec(ffnCurve(layer.expr), gelu)),
      };
    }),
  );
}

export async function renderSearchReport(data: ReportData, outDir: string): Promise<RenderedReport> {
  const candidates = data.stages.flatMap((s) => s.candidates);
  const winnerArch = parseArchitecture(data.winner.architecture);
  const winner = winnerCandidate(candidates, winnerArch);
  const stageNames = data.stages.map((s) => s.name);

  const pareto = (
    await Promise.all([
      paretoFigure('pareto-parameters', 'Reward vs parameters', data, PARAMETERS_AXIS, winner),
      paretoFigure('pareto-latency', 'Reward vs measured latency', data, LATENCY_AXIS, winner),
    ])
  ).filter((f): f is Figure => f !== undefined);
  const noLatency = pareto.length < 2 ? '<p class="note">No candidate had a measured latency.</p>' : '';
  const progress: Figure = {
    name: 'progress',
    title: 'Best reward so far, per stage',
    caption:
      'Faint points: each candidate’s reward in evaluation order. Lines: the best reward the stage had ' +
      'found after that many candidates.',
    svg: await renderSvg(progressSpec(progressRows(data.stages), stageNames)),
  };
  const layers = await layerFigures(data, winnerArch);
  const figures = [...pareto, progress, ...layers];

  const sections = [
    section('summary', 'Summary', summaryHtml(data, winner?.id)),
    section(
      'pareto',
      'Pareto fronts',
      `<div class="figures">${pareto.map((f) => figureHtml(f)).join('')}</div>${noLatency}`,
      'Rewards are each stage’s own held-out proxy score (stages may score differently, e.g. with or ' +
        'without training), so each stage has its own front.',
    ),
    section('progress', 'Search progress', figureHtml(progress)),
    section(
      'winner',
      'The winner, layer by layer',
      `<div class="layers">${layers.map((f) => figureHtml(f, 'figure layer')).join('')}</div>`,
      'Each layer’s FFN expression with its stack depth and intermediate width, and its non-linearity as ' +
        'a curve: the expression evaluated as a scalar function of x ∈ [−4, 4], on one channel with ' +
        'W1 = W2 = 1 and zero biases, through the same interpreter and activations as training, for one ' +
        'block (before dropout, the residual add and LayerNorm). The dashed grey curve is the plain GELU ' +
        'FFN, W2·gelu(W1·x) = gelu(x).',
    ),
    section(
      'leaderboard',
      'Leaderboard',
      leaderboardTable(data.preset.config, data.stages, winner?.id),
      `The ${TOP_PER_STAGE} best candidates of each stage by reward, ranked within the stage. Per layer: ` +
        'X stacked blocks × intermediate width I = floor(F / Y), F the full FFN width, then the FFN.',
    ),
    ...(data.rankingCheck
      ? [
          section(
            'ranking',
            'Proxy vs final ranking',
            rankingCheckHtml(data.rankingCheck),
            'The best distinct stage 1-2 candidates by proxy reward, each trained again by the final ' +
              'recipe (as the baseline is), best proxy reward first.',
          ),
        ]
      : []),
    section(
      'candidates',
      'Every candidate',
      candidateListTable(data.stages, data.unscored ?? []),
      'Each evaluated candidate of every stage, in evaluation order; unscored ones (failed or invalid) ' +
        'have no parameters or reward.',
    ),
  ];
  const subtitle =
    `Search <strong>${escapeHtml(data.searchId)}</strong> · preset ${escapeHtml(data.preset.name)} · ` +
    `seed ${data.seed} · finished ${utc(data.finishedAt)}`;

  await fs.mkdir(outDir, { recursive: true });
  const svgPaths = figures.map((f) => path.join(outDir, `${f.name}.svg`));
  await Promise.all(figures.map((f, i) => fs.writeFile(svgPaths[i]!, f.svg)));
  const htmlPath = path.join(outDir, REPORT_FILE);
  await fs.writeFile(htmlPath, page('EfficientBERT search report', subtitle, sections));
  return { htmlPath, svgPaths };
}
