/**
 * The look shared by every figure, so the report reads as one document: generic font families
 * only (the HTML must not fetch fonts), light grid, a fixed colour per stage in stage order.
 */
import type * as VegaLite from 'vega-lite/build/index';

const FONT = 'Helvetica, Arial, sans-serif';

/** Tableau-10, the stages in order; more stages than colours cycle. */
const STAGE_PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#b279a2', '#e45756', '#72b7b2', '#9d755d'];

export const WINNER_COLOR = '#d62728';
export const BASELINE_COLOR = '#9a9a9a';

export function stageColors(stages: readonly string[]): string[] {
  return stages.map((_, i) => STAGE_PALETTE[i % STAGE_PALETTE.length]!);
}

/** The color channel of the figures that color by stage, with the legend on top. */
export function stageColor(stages: readonly string[]) {
  return {
    field: 'stage',
    type: 'nominal',
    title: 'Stage',
    scale: { domain: [...stages], range: stageColors(stages) },
    legend: { orient: 'top', direction: 'horizontal' },
  } as const;
}

export const FIGURE_CONFIG: VegaLite.Config = {
  font: FONT,
  background: 'white',
  padding: 8,
  view: { stroke: null },
  axis: {
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: 'normal',
    titleColor: '#333333',
    labelColor: '#444444',
    gridColor: '#e8e8e8',
    domainColor: '#888888',
    tickColor: '#888888',
  },
  legend: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal', symbolSize: 70 },
};
