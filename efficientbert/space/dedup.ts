import { Prng } from '../core/prng';
import type { Architecture, LayerArch } from './ast';
import { interpret } from './interpret';
import { linearName } from './linear-names';
import { type LinearWeights, type Matrix, MatrixBackend, matrix } from './matrix-backend';
import { intermediateWidth, type StudentConfig } from './presets';
import { printArchitecture } from './print';

/**
 * Functional duplicate check (spec §1.2): two candidates that compute the same function are one
 * candidate, however they are written (`add(x,tanh(x))` = `add(tanh(x),x)`). Each layer's
 * expression runs once on fixed pseudo-random inputs with fixed weights, and its output, rounded
 * to 2 decimals, is hashed. The inputs and weights depend only on the widths (H, I), so a hash is
 * stable across runs and machines. Layers are separate functions with separate weights, so a
 * layer's hash also carries its size (stacking X blocks changes the function even when one block
 * does not), and an architecture's hash is its layers' hashes in order.
 */
const PROBE_ROWS = 8;
const PROBE_SEED = 0x5eed;

const inputs = new Map<number, Matrix>();
const weights = new Map<string, Readonly<Record<'wb1' | 'wb2', LinearWeights>>>();

function normals(rng: Prng, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * scale;
  return out;
}

function probeInput(hidden: number): Matrix {
  let x = inputs.get(hidden);
  if (!x) {
    x = matrix(PROBE_ROWS, hidden, normals(Prng.fromSeed(PROBE_SEED + hidden), PROBE_ROWS * hidden, 1));
    inputs.set(hidden, x);
  }
  return x;
}

/** Weights scaled by 1/√fan_in so activations stay O(1) and 2 decimals still tell functions apart. */
function probeWeights(hidden: number, inner: number): Readonly<Record<'wb1' | 'wb2', LinearWeights>> {
  const key = `${hidden}x${inner}`;
  let w = weights.get(key);
  if (!w) {
    const rng = Prng.fromSeed(PROBE_SEED ^ (hidden * 4099 + inner));
    w = {
      wb1: {
        kernel: matrix(hidden, inner, normals(rng, hidden * inner, 1 / Math.sqrt(hidden))),
        bias: normals(rng, inner, 0.1),
      },
      wb2: {
        kernel: matrix(inner, hidden, normals(rng, inner * hidden, 1 / Math.sqrt(inner))),
        bias: normals(rng, hidden, 0.1),
      },
    };
    weights.set(key, w);
  }
  return w;
}

/** 64-bit hash (two independent 32-bit lanes, murmur-style mixing) of integer values, as hex. */
function hashInts(values: Iterable<number>): string {
  let h1 = 0x9747b28c;
  let h2 = 0x85ebca6b;
  for (const v of values) {
    h1 = Math.imul(h1 ^ v, 0xcc9e2d51);
    h1 = (h1 << 13) | (h1 >>> 19);
    h2 = Math.imul(h2 ^ v, 0x1b873593);
    h2 = (h2 << 15) | (h2 >>> 17);
    h2 = Math.imul(h2 ^ h1, 5) + 0xe6546b64;
  }
  const fin = (h: number) => {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return ((h ^ (h >>> 16)) >>> 0).toString(16).padStart(8, '0');
  };
  return fin(h1) + fin(h2);
}

/** Rounded to 2 decimals as an integer; NaN and ±∞ get values of their own. */
function* rounded(data: Float32Array): Generator<number> {
  for (const v of data) {
    if (Number.isNaN(v)) yield 0x7fc00000;
    else if (!Number.isFinite(v)) yield v > 0 ? 0x7f800000 : -0x7f800000;
    else yield Math.round(v * 100) | 0;
  }
}

/** The hash of the function one layer computes, e.g. `linear1_2:3f9a…`. */
export function functionalHash(layer: LayerArch, config: StudentConfig): string {
  const h = config.hidden;
  const backend = new MatrixBackend(probeWeights(h, intermediateWidth(config, layer.ratio)));
  const out = interpret(layer.expr, probeInput(h), backend);
  return `${linearName(layer)}:${hashInts(rounded(out.data))}`;
}

/** The hash of the function a whole architecture computes. */
export function architectureHash(arch: Architecture, config: StudentConfig): string {
  return arch.layers.map((l) => functionalHash(l, config)).join(',');
}

/** Remembers candidates by string and by function; `add` says whether a candidate is new. */
export class Deduplicator {
  private readonly strings = new Set<string>();
  private readonly functions = new Set<string>();

  constructor(private readonly config: StudentConfig) {}

  /** Whether `arch`, or an architecture computing the same function, was added before. */
  has(arch: Architecture): boolean {
    return (
      this.strings.has(printArchitecture(arch)) || this.functions.has(architectureHash(arch, this.config))
    );
  }

  /** Records `arch`; true if it was new, false if it (or its function) was seen. */
  add(arch: Architecture): boolean {
    const text = printArchitecture(arch);
    if (this.strings.has(text)) return false;
    const fn = architectureHash(arch, this.config);
    this.strings.add(text);
    if (this.functions.has(fn)) return false;
    this.functions.add(fn);
    return true;
  }

  get size(): number {
    return this.functions.size;
  }
}
