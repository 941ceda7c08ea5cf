/**
 * The proxy-vs-final rank check of a search (`verifyRanking`): the best distinct candidates of
 * stages 1-2 by proxy reward go through the same final training as the baseline, and Kendall's
 * tau-b between their proxy rewards and their final rewards says whether the cheap proxy ranks
 * architectures as a full training does. Pure math and picking: workflow code calls it.
 */
import { type CandidateResult, compareResults } from './candidates';

/** One verified candidate: its proxy reward from the search, and its final training's. */
export interface RankingEntry {
  /** The stage 1-2 candidate that was verified, e.g. `stage1-0003`. */
  readonly candidateId: string;
  readonly arch: string;
  readonly proxyReward: number;
  /** The verify training's own result (`verify-<index>`): its reward, dev metrics, status. */
  readonly final: CandidateResult;
}

export interface RankingCheck {
  /** In proxy-reward order, best first. */
  readonly entries: readonly RankingEntry[];
  /**
   * Kendall's tau-b over the entries whose final training succeeded; absent where it is undefined
   * (fewer than two of them, or either side all ties).
   */
  readonly kendallTau?: number;
}

/**
 * Kendall's tau-b of paired samples: rank agreement in [-1, 1], ties counted as neither; NaN when
 * undefined (fewer than two pairs, or one side constant).
 */
export function kendallTauB(xs: readonly number[], ys: readonly number[]): number {
  if (xs.length !== ys.length) throw new RangeError(`kendallTauB: ${xs.length} xs but ${ys.length} ys`);
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

/**
 * The `n` best candidates worth verifying, best first: trained here and ok (not a duplicate, which
 * only inherits another's reward, nor stage 2's carried-over winner, which is stage 1's), one per
 * architecture (the first in `compareResults` order). Fewer when there are fewer.
 */
export function rankingCandidates(results: readonly CandidateResult[], n: number): CandidateResult[] {
  const picked: CandidateResult[] = [];
  const archs = new Set<string>();
  const eligible = results.filter(
    (r) =>
      (r.stage === 'stage1' || r.stage === 'stage2') &&
      r.status === 'ok' &&
      r.duplicateOf === undefined &&
      r.carriedFrom === undefined,
  );
  for (const r of [...eligible].sort(compareResults)) {
    if (picked.length >= n) break;
    if (archs.has(r.arch)) continue;
    archs.add(r.arch);
    picked.push(r);
  }
  return picked;
}

/** The check from the picks and their final trainings (same order, one each). */
export function rankingCheckOf(
  picks: readonly CandidateResult[],
  finals: readonly CandidateResult[],
): RankingCheck {
  const entries = picks.map(
    (p, i): RankingEntry => ({ candidateId: p.id, arch: p.arch, proxyReward: p.reward, final: finals[i]! }),
  );
  const ok = entries.filter((e) => e.final.status === 'ok');
  const tau = kendallTauB(
    ok.map((e) => e.proxyReward),
    ok.map((e) => e.final.reward),
  );
  // NaN does not survive JSON (workflow payloads, the stored outcome): undefined is left out.
  return Number.isNaN(tau) ? { entries } : { entries, kendallTau: tau };
}
