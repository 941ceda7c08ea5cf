/** The numbers behind the figures: Pareto fronts, best-so-far, the scalar FFN curves. */
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACTIVATIONS } from '../../../efficientbert/space/matrix-backend';
import { parseLayer } from '../../../efficientbert/space/parse';
import { ffnCurve } from '../../../services/report/ffn-curve';
import { paretoFront } from '../../../services/report/pareto';
import { progressRows } from '../../../services/report/progress-figure';
import type { CandidateReport } from '../../../services/report/report-data';

describe('paretoFront', () => {
  it('keeps the non-dominated points by increasing cost', () => {
    const points = [
      { id: 'a', cost: 3, reward: 0.7 },
      { id: 'b', cost: 1, reward: 0.5 },
      { id: 'c', cost: 2, reward: 0.5 }, // dominated by b
      { id: 'd', cost: 2, reward: 0.6 },
      { id: 'e', cost: 4, reward: 0.65 }, // dominated by a
      { id: 'f', cost: 1, reward: 0.4 }, // same cost as b, worse
    ];
    assert.deepEqual(
      paretoFront(points).map((p) => p.id),
      ['b', 'd', 'a'],
    );
    assert.deepEqual(paretoFront([]), []);
  });
});

describe('progressRows', () => {
  it('counts each stage from 1 and carries its best reward forward', () => {
    const c = (stage: string, reward: number) => ({ stage, reward }) as CandidateReport;
    const rows = progressRows([
      { name: 's1', candidates: [c('s1', 0.5), c('s1', 0.4), c('s1', 0.6)] },
      { name: 's2', candidates: [c('s2', 0.3)] },
    ]);
    assert.deepEqual(
      rows.map((r) => [r.stage, r.evaluated, r.best]),
      [
        ['s1', 1, 0.5],
        ['s1', 2, 0.5],
        ['s1', 3, 0.6],
        ['s2', 1, 0.3],
      ],
    );
  });
});

describe('ffnCurve', () => {
  const close = (a: number, b: number) => Math.abs(a - b) < 1e-6 * Math.max(1, Math.abs(b));

  it('is gelu(x) for the plain FFN, over [-4, 4] with both ends', () => {
    const curve = ffnCurve(parseLayer('linear4_2(gelu(linear4_2(x,wb1)),wb2)').expr);
    assert.equal(curve.length, 161);
    assert.deepEqual([curve[0]!.x, curve[80]!.x, curve[160]!.x], [-4, 0, 4]);
    for (const { x, y } of curve) assert.ok(close(y, ACTIVATIONS.gelu(Math.fround(x))), `gelu(${x}) ≠ ${y}`);
  });

  it('evaluates the paper layers with W1 = W2 = 1: activations compose, mul squares, max compares', () => {
    const at = (text: string, x: number) => ffnCurve(parseLayer(text).expr, 3, [x - 1, x + 1])[1]!.y;
    const { gelu, tanh, relu } = ACTIVATIONS;
    assert.ok(close(at('tanh(linear4_2(gelu(linear4_2(x,wb1)),wb2))', 1.5), tanh(gelu(1.5))));
    assert.ok(close(at('linear1_2(relu(mul(linear1_2(x,wb1),x)),wb2)', -2), relu(4)));
    assert.ok(close(at('linear2_2(gelu(linear2_2(max(x,tanh(x)),wb1)),wb2)', -0.5), gelu(tanh(-0.5))));
  });
});
