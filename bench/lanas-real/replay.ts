/**
 * Replays a sampler over a fixed, already-trained pool (bench/lanas-real.ts): each step the sampler
 * proposes one candidate, which must be an unseen pool member, and gets that member's cached
 * reward. Nothing is trained here, so hundreds of seeds take seconds.
 *
 * LaNAS restricted to the pool is the unchanged LanasSampler with the pool in place of the space:
 * its uniform generator draws pool members (the rejection sampler still keeps only unseen ones its
 * tree path accepts, falling back to any unseen one), and its local move, which in a search redraws
 * 1-2 layers of a good sample, becomes "one of the `near` unseen pool members closest to that
 * sample" (Hamming distance over the feature encoding). Random search draws unseen pool members
 * uniformly. Both start from the pool's first member, the all-linear1_1 model, as a search does.
 */
import { Prng } from '../../efficientbert/core/prng';
import {
  type Candidate,
  type LanasOptions,
  type LanasSample,
  LanasSampler,
} from '../../efficientbert/search/samplers/lanas';
import { architectureFeatures } from '../../efficientbert/space/features';
import { parseArchitecture } from '../../efficientbert/space/parse';

export interface PoolCandidate extends Candidate {
  readonly index: number;
  readonly reward: number;
}

export function poolCandidates(members: readonly { arch: string; reward: number }[]): PoolCandidate[] {
  return members.map((m, index) => ({
    index,
    key: m.arch,
    reward: m.reward,
    features: architectureFeatures(parseArchitecture(m.arch)),
  }));
}

const hamming = (a: readonly number[], b: readonly number[]) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) d++;
  return d;
};

/** The rewards of one replay, in evaluation order. */
export type Trace = number[];

export interface Replayer {
  readonly name: string;
  run(seed: number, budget: number): Trace;
}

/** Uniform draws without replacement, the first member first. */
export function randomReplayer(pool: readonly PoolCandidate[]): Replayer {
  return {
    name: 'random',
    run(seed, budget) {
      const rng = Prng.fromSeed(seed);
      const rest = pool.slice(1).map((c) => c.reward);
      const trace = [pool[0]!.reward];
      while (trace.length < Math.min(budget, pool.length)) {
        const i = rng.int(rest.length);
        trace.push(rest[i]!);
        rest[i] = rest[rest.length - 1]!;
        rest.pop();
      }
      return trace;
    },
  };
}

/** LanasSampler over the pool (see the module comment); `near` bounds the local move. */
export function lanasReplayer(
  name: string,
  pool: readonly PoolCandidate[],
  options: Partial<LanasOptions>,
  near = 3,
): Replayer {
  const distances = pool.map((a) => pool.map((b) => hamming(a.features, b.features)));
  const byKey = new Map(pool.map((c) => [c.key, c]));
  return {
    name,
    run(seed, budget) {
      const seen = new Set<string>();
      const neighbour = (parent: LanasSample, rng: Prng) => {
        const p = byKey.get(parent.id)!;
        const closest = pool
          .filter((c) => !seen.has(c.key))
          .sort((a, b) => distances[p.index]![a.index]! - distances[p.index]![b.index]! || a.index - b.index)
          .slice(0, near);
        return closest.length === 0 ? undefined : rng.pick(closest);
      };
      const sampler = new LanasSampler<PoolCandidate>(
        (rng) => rng.pick(pool),
        [pool[0]!],
        options,
        neighbour,
      );
      const rng = Prng.fromSeed(seed);
      const samples: LanasSample[] = [];
      while (samples.length < Math.min(budget, pool.length)) {
        const c = sampler.propose(rng, samples, 1)[0];
        if (!c) break;
        seen.add(c.key);
        samples.push({ id: c.key, features: c.features, reward: c.reward });
      }
      return samples.map((s) => s.reward);
    },
  };
}

/** 1-based index of the first reward at or above `threshold`; trace length + 1 when none is. */
export function samplesToReach(trace: Trace, threshold: number): number {
  const i = trace.findIndex((r) => r >= threshold);
  return i < 0 ? trace.length + 1 : i + 1;
}

/** Best reward among the first `b` samples. */
export function bestAfter(trace: Trace, b: number): number {
  return Math.max(...trace.slice(0, b));
}
