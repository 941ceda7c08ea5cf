/**
 * GLUE metrics over plain arrays. Degenerate inputs follow scikit-learn / scipy where they define a
 * value and are documented where they do not, so a score of a constant predictor is well defined.
 */

function checkSameLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length)
    throw new RangeError(`length mismatch: ${a.length} predictions, ${b.length} labels`);
}

/** Fraction of exact matches; NaN for empty input. */
export function accuracy(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkSameLength(predictions, labels);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predictions[i] === labels[i]) correct++;
  return labels.length === 0 ? Number.NaN : correct / labels.length;
}

interface Confusion {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** Binary confusion counts with class 1 as positive; anything else counts as negative. */
function confusion(predictions: ArrayLike<number>, labels: ArrayLike<number>): Confusion {
  checkSameLength(predictions, labels);
  const c = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (let i = 0; i < labels.length; i++) {
    const p = predictions[i] === 1;
    const l = labels[i] === 1;
    if (p && l) c.tp++;
    else if (p) c.fp++;
    else if (l) c.fn++;
    else c.tn++;
  }
  return c;
}

/** Binary F1 of the positive class 1; 0 when there are no true positives (as scikit-learn's zero_division=0). */
export function f1(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { tp, fp, fn } = confusion(predictions, labels);
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

/** Matthews correlation for binary labels; 0 when the denominator is 0 (a constant predictor or label set). */
export function matthewsCorrelation(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { tp, fp, fn, tn } = confusion(predictions, labels);
  const denominator = Math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
  return denominator === 0 ? 0 : (tp * tn - fp * fn) / denominator;
}

/** Pearson correlation; NaN when either input is constant (as scipy), or has fewer than 2 values. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkSameLength(x, y);
  const n = x.length;
  if (n < 2) return Number.NaN;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return Number.NaN;
  // Clamp: rounding can push a perfect correlation a hair past +-1.
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** 1-based ranks, ties sharing the average of the ranks they span. */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Float64Array(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && values[order[end]!] === values[order[start]!]) end++;
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]!] = rank;
    start = end;
  }
  return ranks;
}

/** Spearman rank correlation: Pearson over average ranks; NaN when either input is constant. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkSameLength(x, y);
  return pearson(averageRanks(x), averageRanks(y));
}

export type MetricName = 'accuracy' | 'f1' | 'mcc' | 'pearson' | 'spearman';

const METRICS: Readonly<Record<MetricName, (p: ArrayLike<number>, l: ArrayLike<number>) => number>> = {
  accuracy,
  f1,
  mcc: matthewsCorrelation,
  pearson,
  spearman,
};

/** The named metrics of a task (see GlueTask.metrics) over predictions and labels. */
export function computeMetrics(
  names: readonly MetricName[],
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
): Partial<Record<MetricName, number>> {
  return Object.fromEntries(names.map((name) => [name, METRICS[name](predictions, labels)]));
}
