/**
 * A running search's time to go, from the pace of its evaluations. The warm-up is one training
 * that takes as long as dozens of proxy candidates (9 of a quickstart's 12 minutes), so counting
 * it as one evaluation among the rest made the estimate at stage 1's start 17 times the warm-up
 * (2h37m for a search with 3 minutes left). The pace is therefore taken after the warm-up only,
 * and there is no estimate until one evaluation after it has finished.
 */
export interface EtaInput {
  /** Now, and when the warm-up's result came in (undefined while it runs, or when the spec brings a supernet). */
  readonly nowMs: number;
  readonly startedAtMs: number;
  readonly warmupDoneAtMs: number | undefined;
  /** Whether the search trains a warm-up at all. */
  readonly warmupPlanned: boolean;
  /** Evaluations done and planned, the warm-up's included when it is planned. */
  readonly evaluated: number;
  readonly planned: number;
}

export function estimateEtaMs(input: EtaInput): number | undefined {
  const { nowMs, evaluated, planned, warmupPlanned, warmupDoneAtMs } = input;
  if (warmupPlanned && warmupDoneAtMs === undefined) return undefined;
  const since = warmupPlanned ? warmupDoneAtMs! : input.startedAtMs;
  const done = evaluated - (warmupPlanned ? 1 : 0);
  if (done <= 0) return undefined;
  return Math.round(((nowMs - since) / done) * Math.max(0, planned - evaluated));
}
