/**
 * Reward against a cost (parameters or measured latency): every candidate a point coloured by
 * stage, each stage's Pareto front as a staircase through its points (a front point holds its
 * reward until the next one improves on it), the winner marked and labelled. Fronts are per stage
 * because stages score with different proxies (stage 3 scores shared weights without training), so
 * a reward only compares with rewards of its own stage.
 */
import { FIGURE_CONFIG, stageColor, WINNER_COLOR } from './figure-style';
import { paretoFront } from './pareto';
import type { CandidateReport } from './report-data';
import type { FigureSpec } from './vega-svg';

export interface CostAxis {
  /** The candidate's cost, or null to leave it out (unmeasured latency). */
  readonly cost: (c: CandidateReport) => number | null;
  readonly title: string;
}

export const PARAMETERS_AXIS: CostAxis = { cost: (c) => c.parameters / 1e6, title: 'Parameters (M)' };
export const LATENCY_AXIS: CostAxis = { cost: (c) => c.latencyMs, title: 'Measured latency (ms)' };

interface Row {
  readonly id: string;
  readonly stage: string;
  readonly cost: number;
  readonly reward: number;
}

/** Candidates that have this cost, as plot rows. */
export function costRows(candidates: readonly CandidateReport[], axis: CostAxis): Row[] {
  return candidates.flatMap((c) => {
    const cost = axis.cost(c);
    return cost === null ? [] : [{ id: c.id, stage: c.stage, cost, reward: c.reward }];
  });
}

export function paretoSpec(
  rows: readonly Row[],
  stages: readonly string[],
  axis: CostAxis,
  winnerId: string | undefined,
): FigureSpec {
  const front = stages.flatMap((stage) => paretoFront(rows.filter((r) => r.stage === stage)));
  const winner = rows.filter((r) => r.id === winnerId);
  const x = {
    field: 'cost',
    type: 'quantitative',
    title: axis.title,
    scale: { zero: false, nice: true },
  } as const;
  const y = {
    field: 'reward',
    type: 'quantitative',
    title: 'Reward (held-out score)',
    scale: { zero: false },
  } as const;
  // One object for both layers: vega-lite merges their legends only when the definitions agree.
  const color = stageColor(stages);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: FIGURE_CONFIG,
    width: 440,
    height: 300,
    layer: [
      {
        data: { values: [...rows] },
        mark: { type: 'point', filled: true, size: 34, opacity: 0.45 },
        encoding: { x, y, color },
      },
      {
        data: { values: front },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2, point: { filled: true, size: 46 } },
        encoding: { x, y, color, order: { field: 'cost' } },
      },
      {
        data: { values: winner },
        mark: {
          type: 'point',
          shape: 'diamond',
          filled: true,
          size: 220,
          color: WINNER_COLOR,
          stroke: 'white',
          strokeWidth: 1.5,
          opacity: 1,
        },
        encoding: { x, y },
      },
      {
        data: { values: winner },
        mark: {
          type: 'text',
          text: 'winner',
          align: 'left',
          dx: 10,
          dy: -10,
          fontSize: 12,
          fontWeight: 'bold',
          color: WINNER_COLOR,
        },
        encoding: { x, y },
      },
    ],
  };
}
