/**
 * A spec's param_range reaches every stage that draws sizes: the samplers of stages 1-3 and the
 * weight-sharing trainer, whose sub-networks stage 3 is scored with. Before the range travelled
 * in the job, the trainer took the preset's budget (none for tiny) and trained sub-networks of any
 * size, whatever range the user asked for.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Prng } from '../../../efficientbert/core/prng';
import {
  type CandidateResult,
  type CandidateSpec,
  resolveSearchSpec,
  runSearch,
  runStage,
  type SearchExecutor,
  type SearchSpec,
  samplerFor,
} from '../../../efficientbert/search';
import { countParameters } from '../../../efficientbert/space/params';
import { parseArchitecture } from '../../../efficientbert/space/parse';
import { PRESETS } from '../../../efficientbert/space/presets';
import { fakeFinalState, fakeReward } from '../../../services/worker/trainer/fake';
import { sharingSubnetworks } from '../../../services/worker/trainer/kd';
import { TRAINER_PROTOCOL, type TrainerJob } from '../../../services/worker/trainer/protocol';
import type { TrainCandidateInput } from '../../../workflows/activities';
import { trainInput } from '../../../workflows/definitions';

/** The middle of the tiny space (1.06-1.13 M parameters): most unconstrained draws miss it. */
const RANGE = [1.065, 1.08] as const;
const MIN = RANGE[0] * 1e6;
const MAX = RANGE[1] * 1e6;

const SPEC = resolveSearchSpec({
  preset: 'tiny',
  tasks: ['sst2'],
  seed: 13,
  parallelism: 2,
  batchSize: 4,
  stages: { stage1: 8, stage2: 4, stage3: 8 },
  budget: { steps: 3, finalSteps: 3, checkpointEvery: 2 },
  paramRange: RANGE,
});

const params = (arch: string) => countParameters(PRESETS.tiny, parseArchitecture(arch));

function result(c: CandidateSpec): CandidateResult {
  return {
    id: c.id,
    stage: c.stage,
    index: c.index,
    arch: c.arch,
    status: 'ok',
    reward: c.arch ? fakeReward(c.arch, fakeFinalState(c.arch, c.seed, 3)) : 0.5,
    checkpointRef: `sha256:${'0'.repeat(64)}`,
  };
}

describe('param_range reaches every stage', () => {
  it("stages 1-3 draw within it, and the sharing trainer's job carries it and draws within it", async () => {
    const jobs: TrainCandidateInput[] = [];
    const executor = (spec: SearchSpec): SearchExecutor => ({
      async evaluate(candidates) {
        jobs.push(...candidates.map((c) => trainInput(spec, c)));
        return candidates.map(result);
      },
      beforeBatch: async () => 'continue',
      afterBatch: async () => undefined,
    });
    const sampler = samplerFor(SPEC);
    const outcome = await runSearch('range', SPEC, {
      shouldContinue: () => true,
      runStage: (input) =>
        runStage('range', input.spec, input.plan, input.state, sampler, executor(input.spec)),
      train: async (c, under) => {
        jobs.push(trainInput(under, c));
        return result(c);
      },
    });
    assert.equal(outcome.error, undefined);

    const staged = jobs.filter((j) => ['stage1', 'stage2', 'stage3'].includes(j.candidate.stage));
    // Stage 2's first candidate is stage 1's winner, carried over untrained.
    assert.equal(staged.length, 8 + (4 - 1) + 8);
    for (const j of staged) {
      const n = params(j.candidate.arch);
      assert.ok(n >= MIN && n <= MAX, `${j.candidate.id} has ${n} parameters`);
    }
    // Every training's job carries the range, in parameters, as the samplers apply it: the
    // candidates', the warm-up's, the sharing supernet's, the winner's and the baseline's.
    assert.equal(jobs.length, staged.length + 4);
    for (const j of jobs) assert.deepEqual(j.paramBudget, { min: MIN, max: MAX }, j.candidate.id);

    const sharingInput = jobs.find((j) => j.candidate.stage === 'sharing')!;
    const job: TrainerJob = { ...sharingInput, protocol: TRAINER_PROTOCOL, artifactsRoot: '/unused' };
    const base = parseArchitecture(job.candidate.arch);
    const draw = sharingSubnetworks(job, PRESETS.tiny, base);
    const rng = Prng.fromSeed(1);
    for (let i = 0; i < 200; i++) {
      const n = countParameters(PRESETS.tiny, draw(rng));
      assert.ok(n >= MIN && n <= MAX, `sub-network ${i} has ${n} parameters`);
    }
  });
});
