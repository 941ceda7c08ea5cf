/**
 * Search progress: each candidate's reward (faint points) and the best reward so far (a staircase)
 * against the number of candidates the stage has evaluated, one colour per stage. Stages restart
 * the count at 1, so their sampling efficiency can be compared on one axis.
 */
import { FIGURE_CONFIG, stageColor } from './figure-style';
import type { StageReport } from './report-data';
import type { FigureSpec } from './vega-svg';

interface Row {
  readonly stage: string;
  readonly evaluated: number;
  readonly reward: number;
  readonly best: number;
}

export function progressRows(stages: readonly StageReport[]): Row[] {
  return stages.flatMap((s) => {
    let best = Number.NEGATIVE_INFINITY;
    return s.candidates.map((c, i) => {
      best = Math.max(best, c.reward);
      return { stage: s.name, evaluated: i + 1, reward: c.reward, best };
    });
  });
}

export function progressSpec(rows: readonly Row[], stages: readonly string[]): FigureSpec {
  const x = {
    field: 'evaluated',
    type: 'quantitative',
    title: 'Candidates evaluated in the stage',
    scale: { domainMin: 1, nice: false },
  } as const;
  const color = stageColor(stages);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: FIGURE_CONFIG,
    width: 900,
    height: 280,
    data: { values: [...rows] },
    layer: [
      {
        mark: { type: 'point', filled: true, size: 22, opacity: 0.35 },
        encoding: {
          x,
          y: {
            field: 'reward',
            type: 'quantitative',
            title: 'Reward (held-out score)',
            scale: { zero: false },
          },
          color,
        },
      },
      {
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2.4 },
        encoding: { x, y: { field: 'best', type: 'quantitative' }, color },
      },
    ],
  };
}
