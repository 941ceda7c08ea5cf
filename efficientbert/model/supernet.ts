import type { Architecture } from '../space/ast';
import type { StudentConfig } from '../space/presets';
import { studentWeightShapes } from '../space/weights';
import type { ParamStore, Weights } from './params';
import * as tf from './tf';

/**
 * A candidate's weights as views of the supernet's (spec §4.1 weight inheritance): each candidate
 * weight is the leading block of the supernet weight of the same name, i.e. the first X FFN blocks,
 * the first I columns of dense1 (kernel and bias), the first I rows of dense2's kernel and its full
 * bias; everything else is shared whole. Called inside a gradient computation, the slices route
 * gradients into the shared variables (stage-3 single-path weight sharing).
 */
export function candidateView(supernet: Weights, config: StudentConfig, arch: Architecture): Weights {
  const shapes = studentWeightShapes(config, arch);
  return (name) => {
    const full = supernet(name);
    const shape = shapes.get(name);
    if (!shape) throw new Error(`weight '${name}' is not part of this candidate`);
    if (shape.length !== full.rank || shape.some((d, i) => d > full.shape[i]!)) {
      throw new Error(
        `weight '${name}': candidate shape [${shape}] does not fit in supernet shape [${full.shape}]`,
      );
    }
    if (shape.every((d, i) => d === full.shape[i])) return full;
    return tf.slice(
      full,
      shape.map(() => 0),
      [...shape],
    );
  };
}

/**
 * Copies a candidate's own weights out of the supernet (for candidate fine-tuning and export):
 * a new, independent ParamStore named and shaped by studentWeightShapes(config, arch).
 */
export function extractCandidate(
  supernet: ParamStore,
  config: StudentConfig,
  arch: Architecture,
): Map<string, { shape: number[]; data: Float32Array }> {
  const view = candidateView(supernet.weights(), config, arch);
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const name of studentWeightShapes(config, arch).keys()) {
    const t = tf.tidy(() => tf.clone(view(name)));
    out.set(name, { shape: [...t.shape], data: Float32Array.from(t.dataSync() as Float32Array) });
    t.dispose();
  }
  return out;
}
