/** Sample statistics the benchmarks report: milliseconds rounded to microseconds, ratios to 3 places. */

export const round3 = (x: number) => Number(x.toFixed(3));

export const ratio = (a: number, b: number) => Number((a / b).toFixed(3));

export const mean = (samples: readonly number[]) => samples.reduce((a, b) => a + b, 0) / samples.length;

/** The nearest-rank percentile (p in [0, 1]): the smallest sample with at least p of them at or below it. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

export function summary(samples: readonly number[]) {
  return {
    n: samples.length,
    p50Ms: round3(percentile(samples, 0.5)),
    p90Ms: round3(percentile(samples, 0.9)),
    p99Ms: round3(percentile(samples, 0.99)),
  };
}

/** Wall-clock milliseconds of one awaited call. */
export async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}
