/**
 * Local proposals for LaNAS over the real search space: a neighbour of an evaluated architecture
 * redraws a few of its layers from the stage's own sample plan (stage 1: a mutated plain GELU FFN
 * of any size; stage 2: a mutation of the base layer or of the plain FFN at the frozen size;
 * stage 3: any valid size of the frozen expression) and keeps the others, within the plan's
 * parameter budget. So a neighbour is always a candidate the plan itself could have drawn; it is
 * only more likely to lie next to a good one. Pure: all randomness comes from `rng`.
 */

import type { Prng } from '../../../core/prng';
import type { Architecture } from '../../../space/ast';
import { mutateLayer } from '../../../space/mutate';
import { countParameters } from '../../../space/params';
import type { StudentConfig } from '../../../space/presets';
import type { SamplePlan } from '../../../space/sample';

export interface NeighbourOptions {
  /** Largest number of layers redrawn (each neighbour redraws 1..maxLayers, uniformly). Default 2. */
  readonly maxLayers?: number;
  /** Draws before giving up on the budget (undefined is returned). Default 50. */
  readonly maxTries?: number;
}

/** A neighbour of `parent` under `plan`, or undefined when none fits the budget in `maxTries`. */
export function architectureNeighbour(
  parent: Architecture,
  rng: Prng,
  config: StudentConfig,
  plan: SamplePlan,
  options: NeighbourOptions = {},
): Architecture | undefined {
  const n = parent.layers.length;
  const maxLayers = Math.max(1, Math.min(options.maxLayers ?? 2, n));
  const maxTries = options.maxTries ?? 50;
  for (let t = 0; t < maxTries; t++) {
    const count = 1 + rng.int(maxLayers);
    const layers = [...parent.layers];
    // `count` distinct layers, by a partial Fisher-Yates over the layer indices.
    const order = Array.from({ length: n }, (_, i) => i);
    for (let k = 0; k < count; k++) {
      const j = k + rng.int(n - k);
      [order[k], order[j]] = [order[j]!, order[k]!];
      const l = order[k]!;
      const seed = rng.pick(plan.seedsFor(l));
      layers[l] = plan.mutation ? mutateLayer(seed, rng, plan.mutation) : seed;
    }
    const arch = { layers };
    const { budget } = plan;
    if (!budget) return arch;
    const p = countParameters(config, arch);
    if (p >= budget.min && p <= budget.max) return arch;
  }
  return undefined;
}
