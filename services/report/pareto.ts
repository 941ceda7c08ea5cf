/**
 * Pareto front of a two-objective search: lower cost (parameters, latency) and higher reward are
 * both better. A point is on the front when no other point is at least as good on both and
 * strictly better on one.
 */
export interface CostReward {
  readonly cost: number;
  readonly reward: number;
}

/** The non-dominated points, by increasing cost (and so increasing reward). */
export function paretoFront<T extends CostReward>(points: readonly T[]): T[] {
  // By cost, and at equal cost best reward first, so one sweep keeps each strict improvement.
  const sorted = [...points].sort((a, b) => a.cost - b.cost || b.reward - a.reward);
  const front: T[] = [];
  for (const p of sorted) {
    const last = front[front.length - 1];
    if (!last || p.reward > last.reward) front.push(p);
  }
  return front;
}
