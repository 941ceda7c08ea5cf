/**
 * Functional duplicates within a stage (spec §1.2): a candidate that computes the same function as
 * one already trained (`add(x,tanh(x))` vs `add(tanh(x),x)`) is not trained again; it is recorded
 * with the first one's reward and `duplicateOf` naming it. The samplers key candidates by string,
 * so this is the one place swapped operands of add/mul/max are caught.
 */
import { architectureHash } from '../space/dedup';
import { parseArchitecture } from '../space/parse';
import { PRESETS } from '../space/presets';
import type { CandidateResult, CandidateSpec } from './candidates';
import type { SearchSpec } from './spec';

/**
 * Hashes are pure functions of (preset, architecture), so one cache serves every search; it also
 * keeps workflow replays cheap (a hash runs a small forward pass in plain JS).
 */
const HASHES = new Map<string, string | undefined>();
const MAX_CACHED = 50_000;

/** The functional hash of `arch` under `preset`; undefined when it does not parse (invalid). */
export function functionOf(preset: SearchSpec['preset'], arch: string): string | undefined {
  const key = `${preset}|${arch}`;
  if (HASHES.has(key)) return HASHES.get(key);
  let hash: string | undefined;
  try {
    hash = architectureHash(parseArchitecture(arch), PRESETS[preset]);
  } catch {
    hash = undefined; // the trainer reports it invalid, with the parser's reason
  }
  if (HASHES.size >= MAX_CACHED) HASHES.clear();
  HASHES.set(key, hash);
  return hash;
}

export interface DuplicateSplit {
  /** The candidates to train, in order. */
  readonly fresh: readonly CandidateSpec[];
  /** Candidate id → the id of the earlier candidate computing the same function. */
  readonly duplicateOf: ReadonlyMap<string, string>;
}

/**
 * Splits a batch into what must be trained and what repeats a function already trained in this
 * stage (or earlier in the batch). A failed candidate is not a source: its function gets retrained.
 */
export function splitDuplicates(
  preset: SearchSpec['preset'],
  evaluated: readonly CandidateResult[],
  batch: readonly CandidateSpec[],
): DuplicateSplit {
  const firstByFunction = new Map<string, string>();
  for (const r of evaluated) {
    if (r.duplicateOf !== undefined || r.status === 'failed') continue;
    const fn = functionOf(preset, r.arch);
    if (fn !== undefined && !firstByFunction.has(fn)) firstByFunction.set(fn, r.id);
  }
  const fresh: CandidateSpec[] = [];
  const duplicateOf = new Map<string, string>();
  for (const c of batch) {
    const fn = functionOf(preset, c.arch);
    const first = fn === undefined ? undefined : firstByFunction.get(fn);
    if (first !== undefined) duplicateOf.set(c.id, first);
    else {
      fresh.push(c);
      if (fn !== undefined) firstByFunction.set(fn, c.id);
    }
  }
  return { fresh, duplicateOf };
}

/**
 * The record of a candidate that is not trained but takes `source`'s outcome: its own id, index
 * and string, the source's status, reward and result, and `link` saying why (duplicate or carry-over).
 */
export function inheritedResult(
  candidate: Pick<CandidateResult, 'id' | 'stage' | 'index' | 'arch'>,
  source: CandidateResult,
  link: Pick<CandidateResult, 'duplicateOf'> | Pick<CandidateResult, 'carriedFrom'>,
): CandidateResult {
  return {
    id: candidate.id,
    stage: candidate.stage,
    index: candidate.index,
    arch: candidate.arch,
    status: source.status,
    reward: source.reward,
    ...link,
    ...(source.resultRef === undefined ? {} : { resultRef: source.resultRef }),
  };
}
