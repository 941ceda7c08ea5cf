/**
 * The one place that picks the candidate sampler, for the Temporal stage workflow and the
 * in-process runner alike (pure: workflow code imports it). Switching or retuning samplers changes
 * workflow behaviour: re-record the replay histories (test/helpers/temporal-record-histories.ts)
 * in the same change.
 *
 * `lanas` (default): LaNAS (./lanas) over the space's stage generators (efficientbert/space/sample.ts),
 * with the sampler settings of the preset's stage plan (../plan/presets.ts) and the spec's
 * parameter range. Stage 1 starts from the all-linear1_1 model; stage 2 freezes the sizes of stage
 * 1's winner; stage 3 freezes stage 2's expressions. `random`: the stand-in RandomSampler, kept
 * for benchmarks.
 */

import type { Prng } from '../../core/prng';
import type { Architecture } from '../../space/ast';
import { architectureFeatures, sizeFeatures } from '../../space/features';
import { parseArchitecture } from '../../space/parse';
import { PRESETS } from '../../space/presets';
import { printArchitecture } from '../../space/print';
import { plainGeluLayer } from '../../space/published';
import { type SamplePlan, sampleArchitecture, stage1Plan, stage2Plan, stage3Plan } from '../../space/sample';
import type { CandidateResult } from '../candidates';
import type { CandidateSampler, SamplerContext } from '../driver';
import { allLinear11, PLAN_PRESETS } from '../plan/presets';
import { paramBudgetOf, type SearchSpec } from '../spec';
import {
  architectureNeighbour,
  type Candidate,
  DEFAULT_CLASSIFIER_OPTIONS,
  type LanasSample,
  LanasSampler,
} from './lanas';
import { RandomSampler } from './random';

export type SamplerName = 'lanas' | 'random';

export function samplerFor(_spec: SearchSpec, name: SamplerName = 'lanas'): CandidateSampler {
  return name === 'random' ? new RandomSampler() : new LanasStageSampler();
}

interface ArchCandidate extends Candidate {
  readonly arch: Architecture;
}

/** Adapts LanasSampler (feature vectors, keys) to the driver's CandidateSampler (arch strings). */
export class LanasStageSampler implements CandidateSampler {
  private built:
    | { key: string; lanas: LanasSampler<ArchCandidate>; features: (a: Architecture) => number[] }
    | undefined;
  private readonly featureCache = new Map<string, number[]>();

  private setup(ctx: SamplerContext) {
    const key = `${ctx.stage}|${ctx.spec.preset}|${ctx.base ?? ''}|${ctx.spec.paramRange ?? ''}`;
    if (this.built?.key === key) return this.built;
    const config = PRESETS[ctx.spec.preset];
    const plan = PLAN_PRESETS[ctx.spec.preset];
    // The spec carries the budget (the preset's, where the request named none: spec.ts).
    const budget = paramBudgetOf(ctx.spec);
    const base = ctx.base === undefined ? undefined : parseArchitecture(ctx.base);
    let samplePlan: SamplePlan;
    let features: (a: Architecture) => number[];
    let seeds: Architecture[] = [];
    if (ctx.stage === 'stage1' || !base) {
      samplePlan = stage1Plan(budget);
      features = (a) => architectureFeatures(a);
      seeds = [parseArchitecture(allLinear11(config.layers))];
    } else if (ctx.stage === 'stage2') {
      samplePlan = stage2Plan(base);
      features = (a) => architectureFeatures(a, { genericLinear: true });
      // As in the reference, stage 2 looks at stage 1's winner (carried over as its first
      // candidate) and then at its plain version: the same sizes, every layer a GELU FFN.
      seeds = [{ ...base, layers: base.layers.map(plainGeluLayer) }];
    } else {
      samplePlan = stage3Plan(base, budget);
      features = sizeFeatures;
      // Stage 2's winner at its own sizes is stage 3's first candidate (scored on the shared
      // weights like the rest), so stage 3 can only keep or improve on them.
      seeds = [base];
    }
    const toCandidate = (arch: Architecture): ArchCandidate => ({
      key: printArchitecture(arch),
      features: features(arch),
      arch,
    });
    const settings = plan[ctx.stage].sampler;
    const lanas = new LanasSampler<ArchCandidate>(
      (rng) => toCandidate(sampleArchitecture(rng, config, samplePlan)),
      seeds.map(toCandidate),
      {
        nInit: settings.nInit,
        trainInterval: settings.trainInterval,
        cp: settings.cp,
        splitThresholds: settings.splitThresholds,
        localShare: settings.localShare,
        // Stages 1-2 encode each layer as 20 tokens: the classifier pools weights per token slot.
        ...(ctx.stage === 'stage3' ? {} : { classifier: { ...DEFAULT_CLASSIFIER_OPTIONS, blockSize: 20 } }),
      },
      (parent, rng) => {
        const arch = architectureNeighbour(parseArchitecture(parent.id), rng, config, samplePlan);
        return arch && toCandidate(arch);
      },
    );
    this.featureCache.clear();
    this.built = { key, lanas, features };
    return this.built;
  }

  sample(rng: Prng, history: readonly CandidateResult[], n: number, ctx: SamplerContext): string[] {
    const { lanas, features } = this.setup(ctx);
    const samples: LanasSample[] = history.map((r) => {
      let f = this.featureCache.get(r.arch);
      if (!f) {
        f = features(parseArchitecture(r.arch));
        this.featureCache.set(r.arch, f);
      }
      return { id: r.arch, features: f, reward: r.reward };
    });
    return lanas.propose(rng, samples, n).map((c) => c.key);
  }
}
