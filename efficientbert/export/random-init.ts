import { Prng } from '../core/prng';
import type { Shape } from '../space/weights';

/**
 * Seeded BERT initialisation without tfjs, for benchmark and test packages: N(0, 0.02) kernels and
 * embeddings, 1 for LayerNorm gains, 0 for biases and LayerNorm shifts. The same rule as
 * ParamStore.init in efficientbert/model/params.ts, which needs tfjs; exporting a 110 M-parameter
 * BERT-base should not.
 */
export function randomInitWeights(
  shapes: ReadonlyMap<string, Shape>,
  seed: number,
  std = 0.02,
): Map<string, Float32Array> {
  const rng = Prng.fromSeed(seed);
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of shapes) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (/(\.|^)gamma$/.test(name) || /LayerNorm\.weight$/.test(name)) data.fill(1);
    else if (!/(\.|^)(bias|beta)$/.test(name))
      for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
    out.set(name, data);
  }
  return out;
}
