/**
 * Sampling inside the region a tree path describes: rejection sampling from the caller's own
 * candidate generator (the space's sampler, which already enforces validity and the parameter
 * budget), as in `LearningPhase.sample` of the reference.
 */
import type { Prng } from '../../../core/prng';
import { classifiesGood, type LanasSample } from './tree';
import type { PathStep } from './ucb';

/** What the search needs from a candidate: a dedup key and its feature vector. */
export interface Candidate {
  readonly key: string;
  readonly features: readonly number[];
}

/** Draws one random candidate (valid, in budget). Must take all its randomness from `rng`. */
export type CandidateGenerator<C extends Candidate> = (rng: Prng) => C;

/**
 * Draws one candidate near an evaluated sample (valid, in budget), or undefined when it finds none.
 * Must take all its randomness from `rng`.
 */
export type NeighbourGenerator<C extends Candidate> = (parent: LanasSample, rng: Prng) => C | undefined;

export const DEFAULT_MAX_TRIES = 20_000;

/** True when every classifier on the path puts `features` on the path's side. */
export function pathAccepts(path: readonly PathStep[], features: readonly number[]): boolean {
  return path.every((step) => classifiesGood(step.node, features) === (step.side === 'good'));
}

export interface ConstrainedDraw<C> {
  readonly candidate: C;
  /** False when no candidate in `maxTries` satisfied the path and an unconstrained one was taken. */
  readonly onPath: boolean;
}

/**
 * Up to `maxTries` draws for an unseen candidate the path accepts, then up to `maxTries` more for
 * any unseen candidate; undefined when even that fails (the space is exhausted, or nearly).
 */
export function sampleOnPath<C extends Candidate>(
  path: readonly PathStep[],
  generate: CandidateGenerator<C>,
  seen: ReadonlySet<string>,
  rng: Prng,
  maxTries = DEFAULT_MAX_TRIES,
): ConstrainedDraw<C> | undefined {
  for (let i = 0; i < maxTries; i++) {
    const c = generate(rng);
    if (!seen.has(c.key) && pathAccepts(path, c.features)) return { candidate: c, onPath: true };
  }
  const any = sampleUnseen(generate, seen, rng, maxTries);
  return any === undefined ? undefined : { candidate: any, onPath: false };
}

/** Up to `maxTries` draws for a candidate whose key is not in `seen`. */
export function sampleUnseen<C extends Candidate>(
  generate: CandidateGenerator<C>,
  seen: ReadonlySet<string>,
  rng: Prng,
  maxTries = DEFAULT_MAX_TRIES,
): C | undefined {
  for (let i = 0; i < maxTries; i++) {
    const c = generate(rng);
    if (!seen.has(c.key)) return c;
  }
  return undefined;
}
