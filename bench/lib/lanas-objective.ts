/**
 * A synthetic search objective over real architectures: a fixed, seeded random function with
 * the kind of structure a proxy accuracy has. Per layer it adds a size effect, an effect for every
 * activation and binary op that depends on the op and on its role (how many linear maps lie above
 * it: outside the FFN, between the two linears, or on the input), a small cost per node, and a
 * pairwise term between the ratios of neighbouring layers (so the optimum is not fully additive).
 * Rewards look like accuracies (≈0.6 ± 0.05); evaluations add Gaussian noise.
 */

import { Prng } from '../../efficientbert/core/prng';
import type { Architecture, Expr } from '../../efficientbert/space/ast';
import { BINARY_OPS, UNARY_OPS } from '../../efficientbert/space/ast';

const OPS: readonly string[] = [...UNARY_OPS, ...BINARY_OPS];
const ROLES = 3;

export interface Objective {
  /** Noise-free value. */
  value(arch: Architecture): number;
  /** One noisy evaluation (the search's reward). */
  evaluate(arch: Architecture, rng: Prng): number;
}

export function syntheticObjective(seed: number, layers: number, noise = 0.004): Objective {
  const rng = Prng.fromSeed(seed);
  const table = (n: number, scale: number) => Array.from({ length: n }, () => scale * rng.normal());
  const size = Array.from({ length: layers }, () => table(16, 1));
  const op = Array.from({ length: layers }, () =>
    Array.from({ length: ROLES }, () => table(OPS.length, 0.7)),
  );
  const pair = Array.from({ length: layers }, () => table(16, 0.5));

  const walk = (expr: Expr, l: number, linearsAbove: number): number => {
    const cost = -0.1;
    switch (expr.kind) {
      case 'x':
        return 0;
      case 'linear':
        return walk(expr.arg, l, linearsAbove + 1);
      case 'unary':
        return (
          cost + op[l]![Math.min(linearsAbove, 2)]![OPS.indexOf(expr.op)]! + walk(expr.arg, l, linearsAbove)
        );
      case 'binary':
        return (
          cost +
          op[l]![Math.min(linearsAbove, 2)]![OPS.indexOf(expr.op)]! +
          walk(expr.left, l, linearsAbove) +
          walk(expr.right, l, linearsAbove)
        );
    }
  };

  const value = (arch: Architecture): number => {
    let z = 0;
    arch.layers.forEach((layer, l) => {
      z += size[l]![4 * (layer.stack - 1) + (layer.ratio - 1)]!;
      z += walk(layer.expr, l, 0);
      const next = arch.layers[l + 1];
      if (next) z += pair[l]![4 * (layer.ratio - 1) + (next.ratio - 1)]!;
    });
    return 0.6 + 0.01 * z;
  };
  return { value, evaluate: (arch, r) => value(arch) + noise * r.normal() };
}
