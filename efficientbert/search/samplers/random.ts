/**
 * The random-search baseline beside LaNAS (./lanas, the default; benchmarks compare them): uniform
 * random architectures from a few plain FFN templates, respecting each stage's frozen parts
 * (stage 2 keeps the base's sizes, stage 3 keeps the base's expressions). Pure and seeded.
 */

import type { Prng } from '../../core/prng';
import type { CandidateResult } from '../candidates';
import type { CandidateSampler, SamplerContext } from '../driver';

const ACTS = ['gelu', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'elu', 'swish'] as const;
const TEMPLATES = [
  (l: string, a: string) => `${l}(${a}(${l}(x,wb1)),wb2)`,
  (l: string, a: string) => `${l}(mul(${a}(${l}(x,wb1)),x),wb2)`,
  (l: string, a: string) => `${l}(add(${a}(${l}(x,wb1)),x),wb2)`,
  (l: string, a: string) => `${l}(max(${l}(x,wb1),${a}(x)),wb2)`,
];
const LINEAR_RE = /linear(\d)_(\d)/g;

export function splitLayers(arch: string): string[] {
  return arch.split(', ');
}

function randomSize(rng: Prng): string {
  return `linear${1 + rng.int(4)}_${1 + rng.int(4)}`;
}

function randomExpr(rng: Prng, linear: string): string {
  const template = rng.pick(TEMPLATES);
  return template(linear, rng.pick(ACTS));
}

function sizeOf(expr: string): string {
  const m = /linear\d_\d/.exec(expr);
  return m ? m[0] : 'linear1_1';
}

export class RandomSampler implements CandidateSampler {
  constructor(private readonly maxTries = 100) {}

  sample(rng: Prng, history: readonly CandidateResult[], n: number, ctx: SamplerContext): string[] {
    const seen = new Set(history.map((r) => r.arch));
    const out: string[] = [];
    const baseLayers = ctx.base ? splitLayers(ctx.base) : undefined;
    for (let i = 0; i < n; i++) {
      let arch = '';
      for (let t = 0; t < this.maxTries; t++) {
        const layers: string[] = [];
        for (let l = 0; l < ctx.layers; l++) {
          const base = baseLayers?.[l];
          if (ctx.stage === 'stage2' && base) layers.push(randomExpr(rng, sizeOf(base)));
          else if (ctx.stage === 'stage3' && base) {
            const size = randomSize(rng);
            layers.push(base.replace(LINEAR_RE, size));
          } else layers.push(randomExpr(rng, randomSize(rng)));
        }
        arch = layers.join(', ');
        if (!seen.has(arch)) break;
      }
      seen.add(arch);
      out.push(arch);
    }
    return out;
  }
}
