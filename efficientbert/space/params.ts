import type { Architecture } from './ast';
import type { StudentConfig } from './presets';
import { studentWeightShapes } from './weights';

export interface CountOptions {
  /** Count `fit_dense` (the H→teacher projection used for distillation), as the paper does. Default true. */
  readonly fitDense?: boolean;
}

/**
 * Exact parameter count of a student (embedding, encoder, fit_dense; no task head), summed over
 * the very shapes the model allocates, so the two can never disagree. Paper preset + EfficientBERT:
 * 15,737,724; supernet: 25,875,324.
 */
export function countParameters(
  config: StudentConfig,
  arch: Architecture | 'supernet',
  options: CountOptions = {},
): number {
  let total = 0;
  for (const [name, shape] of studentWeightShapes(config, arch)) {
    if (options.fitDense === false && name.startsWith('fit_dense.')) continue;
    total += shape.reduce((a, b) => a * b, 1);
  }
  return total;
}
