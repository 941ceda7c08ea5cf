import type { Prng } from '../core/prng';
import type { Shape } from '../space/weights';
import * as tf from './tf';

/** Read access to named weights; a forward pass asks for each weight it needs by name. */
export type Weights = (name: string) => tf.Tensor;

/** BERT's initialisation: N(0, 0.02) for kernels and embeddings, 0 for biases/beta, 1 for gamma. */
export const INIT_STD = 0.02;

/** Biases and LayerNorm parameters: zero-initialised and exempt from weight decay. */
export function isBiasOrNorm(name: string): boolean {
  return /(\.|^)(bias|beta|gamma)$/.test(name) || /LayerNorm\.(weight|bias)$/.test(name);
}

/**
 * A set of named trainable tf.Variables (a student, supernet, head set or teacher). The map keeps
 * insertion order, which fixes the order of checkpoints and of the optimizer's updates.
 */
export class ParamStore {
  readonly vars = new Map<string, tf.Variable>();
  private readonly byVariableName = new Map<string, string>();

  static init(shapes: ReadonlyMap<string, Shape>, rng: Prng, std: number = INIT_STD): ParamStore {
    const store = new ParamStore();
    for (const [name, shape] of shapes) store.add(name, initialValue(name, shape, rng, std));
    return store;
  }

  static fromArrays(entries: Iterable<[string, { shape: Shape; data: Float32Array }]>): ParamStore {
    const store = new ParamStore();
    for (const [name, { shape, data }] of entries) store.add(name, tf.tensor(data, [...shape], 'float32'));
    return store;
  }

  /** Takes ownership of `value` as a new variable. */
  add(name: string, value: tf.Tensor): tf.Variable {
    if (this.vars.has(name)) throw new Error(`duplicate weight '${name}'`);
    const v = tf.variable(value, true);
    value.dispose();
    this.vars.set(name, v);
    this.byVariableName.set(v.name, name);
    return v;
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`no weight named '${name}'`);
    return v;
  }

  has(name: string): boolean {
    return this.vars.has(name);
  }

  /** Our name for a tf.Variable (tfjs reports gradients by its own variable names). */
  nameOf(variable: tf.Variable): string | undefined {
    return this.byVariableName.get(variable.name);
  }

  weights(): Weights {
    return (name) => this.get(name);
  }

  /** Total number of scalars. */
  size(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  /** Copies every weight out as float32 arrays (for checkpoints and export). */
  toArrays(): Map<string, { shape: number[]; data: Float32Array }> {
    return this.toArraysOf([...this.vars.keys()]);
  }

  toArraysOf(names: readonly string[]): Map<string, { shape: number[]; data: Float32Array }> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const name of names) {
      const v = this.get(name);
      out.set(name, { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) });
    }
    return out;
  }

  /** Overwrites weights in place from arrays; every weight must be present with its shape. */
  assignArrays(arrays: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>): void {
    for (const [name, v] of this.vars) {
      const a = arrays.get(name);
      if (!a) throw new Error(`missing weight '${name}'`);
      if (a.shape.join(',') !== v.shape.join(',')) {
        throw new Error(`weight '${name}': expected shape [${v.shape}], found [${a.shape}]`);
      }
      tf.tidy(() => v.assign(tf.tensor(a.data, v.shape, 'float32')));
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
    this.byVariableName.clear();
  }
}

function initialValue(name: string, shape: Shape, rng: Prng, std: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  if (/(\.|^)gamma$/.test(name) || /LayerNorm\.weight$/.test(name)) data.fill(1);
  else if (!isBiasOrNorm(name)) for (let i = 0; i < size; i++) data[i] = rng.normal() * std;
  return tf.tensor(data, [...shape], 'float32');
}
