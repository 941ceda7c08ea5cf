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

/** Kendall's tau-b of paired samples: rank agreement in [-1, 1], ties counted as neither. */
export function kendallTau(xs: readonly number[], ys: readonly number[]): number {
  let concordant = 0;
  let discordant = 0;
  let tiesX = 0;
  let tiesY = 0;
  for (let i = 0; i < xs.length; i++)
    for (let j = i + 1; j < xs.length; j++) {
      const dx = Math.sign(xs[i]! - xs[j]!);
      const dy = Math.sign(ys[i]! - ys[j]!);
      if (dx === 0 && dy === 0) continue;
      if (dx === 0) tiesX++;
      else if (dy === 0) tiesY++;
      else if (dx === dy) concordant++;
      else discordant++;
    }
  const denominator = Math.sqrt((concordant + discordant + tiesX) * (concordant + discordant + tiesY));
  return denominator === 0 ? Number.NaN : (concordant - discordant) / denominator;
}
