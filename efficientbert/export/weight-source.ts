import type { Shape } from '../space/weights';

/** Weights by name as flat row-major float32 arrays (kernels [in, out]), e.g. from ParamStore.toArrays(). */
export type WeightMap = ReadonlyMap<string, Float32Array>;

/** Reads one weight by name; throws on a name the model does not have. */
export type WeightSource = (name: string) => Float32Array;

/**
 * Checks `weights` against the shapes the architecture implies (every name present, with its
 * number of values) before any graph is built, so a wrong checkpoint fails with the weight's name.
 */
export function checkedWeights(weights: WeightMap, shapes: ReadonlyMap<string, Shape>): WeightSource {
  for (const [name, shape] of shapes) {
    const data = weights.get(name);
    const size = shape.reduce((a, b) => a * b, 1);
    if (!data) throw new Error(`export: weight '${name}' [${shape}] is missing`);
    if (data.length !== size) {
      throw new Error(`export: weight '${name}' has ${data.length} values, shape [${shape}] needs ${size}`);
    }
  }
  return (name) => {
    if (!shapes.has(name)) throw new Error(`export: weight '${name}' is not part of this model`);
    return weights.get(name)!;
  };
}

/** Converts ParamStore.toArrays() output to a WeightMap. */
export function weightMapOf(arrays: ReadonlyMap<string, { readonly data: Float32Array }>): WeightMap {
  return new Map([...arrays].map(([name, { data }]) => [name, data]));
}
