import type { Prng } from '../core/prng';
import type { Architecture, LayerArch } from './ast';
import { ALL_SIZES } from './linear-names';
import { type MutationOptions, mutateLayer, STAGE1_MUTATION_TRIES, STAGE2_MUTATION_TRIES } from './mutate';
import { countParameters } from './params';
import type { StudentConfig } from './presets';
import { PLAIN_SEEDS, plainGeluLayer } from './published';
import { validateLayer } from './validate';

/** Inclusive parameter budget, in parameters (the paper's search used [15e6, 16e6]). */
export interface ParamBudget {
  readonly min: number;
  readonly max: number;
}

export const PAPER_BUDGET: ParamBudget = { min: 15e6, max: 16e6 };

/**
 * How a stage draws candidates: each layer picks one of its seeds uniformly, then (unless
 * `mutation` is null) mutates it; the whole candidate is redrawn until it fits `budget`.
 */
export interface SamplePlan {
  /** The seeds layer `layer` chooses from. */
  readonly seedsFor: (layer: number) => readonly LayerArch[];
  /** Mutation settings, or null to use the seed as drawn (stage 3). */
  readonly mutation: MutationOptions | null;
  readonly budget?: ParamBudget;
  /** Whole-candidate draws before giving up on the budget. Default 1000. */
  readonly maxTries?: number;
}

/** Stage 1: any of the 16 plain GELU FFNs per layer, mutated, within the budget (≤1000 draws). */
export function stage1Plan(budget?: ParamBudget): SamplePlan {
  return {
    seedsFor: () => PLAIN_SEEDS,
    mutation: { maxTries: STAGE1_MUTATION_TRIES },
    budget,
    maxTries: 1000,
  };
}

/** Stage 2: sizes frozen to `base`; each layer mutates `base`'s expression or the plain GELU FFN. */
export function stage2Plan(base: Architecture): SamplePlan {
  return {
    seedsFor: (l) => [layerOf(base, l), plainGeluLayer(layerOf(base, l))],
    mutation: { maxTries: STAGE2_MUTATION_TRIES },
  };
}

/**
 * Stage 3: expressions frozen to `base`; each layer takes any of the 16 sizes at which its
 * expression is valid (all of them, unless it only runs at ratio 1), within the budget. The size
 * `base` has (stage 2's, frozen since stage 1) is drawn twice as often as each other, as in the
 * reference: stage 3 refines around what the earlier stages found rather than starting afresh.
 */
export function stage3Plan(base: Architecture, budget?: ParamBudget): SamplePlan {
  const choices = base.layers.map((layer) => [
    ...ALL_SIZES.map((size) => ({ ...layer, ...size })).filter((sized) => validateLayer(sized).ok),
    layer,
  ]);
  return {
    seedsFor: (l) => choices[l] ?? missingLayer(base, l),
    mutation: null,
    budget,
    maxTries: 10_000,
  };
}

export class BudgetError extends Error {
  override name = 'BudgetError';
}

/** One random candidate for `config` under `plan`. Deterministic for the same `rng` state. */
export function sampleArchitecture(rng: Prng, config: StudentConfig, plan: SamplePlan): Architecture {
  const draw = (): Architecture => ({
    layers: Array.from({ length: config.layers }, (_, l) => {
      const seed = rng.pick(plan.seedsFor(l));
      return plan.mutation ? mutateLayer(seed, rng, plan.mutation) : seed;
    }),
  });
  const { budget } = plan;
  if (!budget) return draw();
  const maxTries = plan.maxTries ?? 1000;
  let last = 0;
  for (let t = 0; t < maxTries; t++) {
    const arch = draw();
    last = countParameters(config, arch);
    if (last >= budget.min && last <= budget.max) return arch;
  }
  throw new BudgetError(
    `no candidate within [${budget.min}, ${budget.max}] parameters after ${maxTries} draws (the last had ${last})`,
  );
}

function layerOf(arch: Architecture, l: number): LayerArch {
  return arch.layers[l] ?? missingLayer(arch, l);
}

function missingLayer(arch: Architecture, l: number): never {
  throw new RangeError(`base architecture has ${arch.layers.length} layers; layer ${l} is missing`);
}
