/**
 * One winner layer's FFN non-linearity (see ffn-curve.ts) over x ∈ [-4, 4], beside the plain
 * GELU FFN it replaced, drawn dashed.
 */
import { CURVE_RANGE, type CurvePoint } from './ffn-curve';
import { BASELINE_COLOR, FIGURE_CONFIG, WINNER_COLOR } from './figure-style';
import type { FigureSpec } from './vega-svg';

const SEARCHED = 'searched FFN';
const GELU_FFN = 'plain GELU FFN';

const LEGEND = { orient: 'top', direction: 'horizontal' } as const;

export function curveSpec(searched: readonly CurvePoint[], gelu: readonly CurvePoint[]): FigureSpec {
  const values = [
    ...gelu.map((p) => ({ ...p, series: GELU_FFN })),
    ...searched.map((p) => ({ ...p, series: SEARCHED })),
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: FIGURE_CONFIG,
    width: 270,
    height: 180,
    data: { values },
    mark: { type: 'line', strokeWidth: 2.2 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: 'x', scale: { domain: [...CURVE_RANGE], nice: false } },
      y: { field: 'y', type: 'quantitative', title: 'f(x)' },
      // Same field, title and legend: vega-lite draws one legend of coloured, dashed lines.
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: { domain: [SEARCHED, GELU_FFN], range: [WINNER_COLOR, BASELINE_COLOR] },
        legend: LEGEND,
      },
      strokeDash: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: {
          domain: [SEARCHED, GELU_FFN],
          range: [
            [1, 0],
            [5, 3],
          ],
        },
        legend: LEGEND,
      },
    },
  };
}
