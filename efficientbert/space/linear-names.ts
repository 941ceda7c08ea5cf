import { type LayerSize, RATIO_DIVISORS, type RatioDivisor, STACK_DEPTHS, type StackDepth } from './ast';

/**
 * The paper's `linearX_Y` names: X = stacked FFN blocks, Y = ratio divisor. Stage 2 writes the
 * size-free `linear` instead, the sizes then being frozen elsewhere.
 */
export const GENERIC_LINEAR = 'linear';

/** The 16 sized linear names, X-major: index = 4·(X−1) + (Y−1) (the stage-3 feature). */
export const LINEAR_NAMES: readonly string[] = STACK_DEPTHS.flatMap((x) =>
  RATIO_DIVISORS.map((y) => `linear${x}_${y}`),
);

export function linearName(size: LayerSize): string {
  return `linear${size.stack}_${size.ratio}`;
}

/** The size a `linearX_Y` name carries, or undefined for any other name. */
export function sizeOfLinearName(name: string): LayerSize | undefined {
  const m = /^linear([1-4])_([1-4])$/.exec(name);
  if (!m) return undefined;
  return { stack: Number(m[1]) as StackDepth, ratio: Number(m[2]) as RatioDivisor };
}

/** Position of a size in LINEAR_NAMES, 0-15. */
export function linearIndex(size: LayerSize): number {
  return 4 * (size.stack - 1) + (size.ratio - 1);
}

/** Every one of the 16 sizes, in LINEAR_NAMES order. */
export const ALL_SIZES: readonly LayerSize[] = STACK_DEPTHS.flatMap((stack) =>
  RATIO_DIVISORS.map((ratio) => ({ stack, ratio })),
);
