import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  accuracy,
  averageRanks,
  computeMetrics,
  f1,
  matthewsCorrelation,
  pearson,
  spearman,
} from '../../../efficientbert/data/metrics';

const close = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} is not ${expected}`);

describe('metrics', () => {
  // predictions vs labels: tp = 2, fp = 1, fn = 1, tn = 1
  const predictions = [1, 1, 0, 0, 1];
  const labels = [1, 0, 0, 1, 1];

  it('accuracy counts exact matches', () => {
    close(accuracy(predictions, labels), 3 / 5);
    assert.ok(Number.isNaN(accuracy([], [])));
    assert.throws(() => accuracy([1], [1, 0]), /length mismatch/);
  });

  it('f1 is for the positive class 1, and 0 without true positives', () => {
    close(f1(predictions, labels), (2 * 2) / (2 * 2 + 1 + 1));
    assert.equal(f1([0, 0], [0, 0]), 0);
    assert.equal(f1([0, 0], [1, 1]), 0);
    assert.equal(f1([1, 1], [1, 1]), 1);
  });

  it('Matthews correlation, 0 when the denominator is 0', () => {
    close(matthewsCorrelation(predictions, labels), (2 * 1 - 1 * 1) / Math.sqrt(3 * 3 * 2 * 2));
    assert.equal(matthewsCorrelation([1, 0, 1], [1, 0, 1]), 1);
    assert.equal(matthewsCorrelation([0, 1], [1, 0]), -1);
    assert.equal(matthewsCorrelation([1, 1, 1], [1, 0, 1]), 0, 'constant predictor');
    assert.equal(matthewsCorrelation([1, 0], [1, 1]), 0, 'constant labels');
  });

  it('Pearson by hand; NaN for constant input or fewer than 2 values', () => {
    // dx = [-1.5, -0.5, 0.5, 1.5], dy = [-3, -1, 0, 4]: sxy = 11, sxx = 5, syy = 26
    close(pearson([1, 2, 3, 4], [2, 4, 5, 9]), 11 / Math.sqrt(130));
    close(pearson([1, 2, 3], [6, 4, 2]), -1);
    assert.ok(Number.isNaN(pearson([2, 2, 2], [1, 2, 3])));
    assert.ok(Number.isNaN(pearson([1], [1])));
  });

  it('Spearman uses average ranks for ties', () => {
    assert.deepEqual(Array.from(averageRanks([10, 20, 10, 30, 20])), [1.5, 3.5, 1.5, 5, 3.5]);
    // ranks x = [1, 2.5, 2.5, 4], y = [1, 3, 2, 4]: sxy = 4.5, sxx = 4.5, syy = 5 (scipy: 0.9486832980505138)
    close(spearman([1, 2, 2, 3], [1, 3, 2, 4]), 3 / Math.sqrt(10));
    close(spearman([1, 10, 100], [3, 2, 1]), -1);
    assert.ok(Number.isNaN(spearman([1, 1], [1, 2])));
  });

  it('computes a task metric list by name', () => {
    const scores = computeMetrics(['f1', 'accuracy'], predictions, labels);
    assert.deepEqual(Object.keys(scores), ['f1', 'accuracy']);
    close(scores.accuracy!, 0.6);
    close(computeMetrics(['pearson', 'spearman'], [1, 2, 3], [1, 2, 4]).spearman!, 1);
  });
});
