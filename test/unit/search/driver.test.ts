import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CandidateResult, CandidateSpec } from '../../../efficientbert/search/candidates';
import {
  compactStageState,
  initialStageState,
  runSearch,
  runStage,
  type SearchExecutor,
  type StageState,
  stagePlans,
  stagePrngs,
} from '../../../efficientbert/search/driver';
import { RandomSampler } from '../../../efficientbert/search/samplers/random';
import { samplerFor } from '../../../efficientbert/search/samplers/select';
import type { SearchSpec } from '../../../efficientbert/search/spec';
import { checkArchitecture } from '../../../efficientbert/space/check';
import { fakeFinalState, fakeReward } from '../../../services/worker/trainer/fake';
import { TINY_SEARCH_SPEC } from '../../fixtures/tiny-search-spec';

const SPEC: SearchSpec = TINY_SEARCH_SPEC;

/** Scores with the fake trainer's pure reward; finishes candidates in a scrambled order. */
function fakeExecutor(
  opts: { stopAfter?: number; log?: CandidateSpec[][] } = {},
): SearchExecutor & { states: StageState[] } {
  const states: StageState[] = [];
  let batches = 0;
  return {
    states,
    async evaluate(cands) {
      opts.log?.push([...cands]);
      const results: CandidateResult[] = new Array(cands.length);
      const order = cands.map((_, i) => i).reverse();
      for (const i of order) {
        await new Promise((r) => setImmediate(r));
        const c = cands[i]!;
        results[i] = {
          id: c.id,
          stage: c.stage,
          index: c.index,
          arch: c.arch,
          status: 'ok',
          reward: fakeReward(c.arch, fakeFinalState(c.arch, c.seed, 5)),
        };
      }
      return results;
    },
    async beforeBatch() {
      return opts.stopAfter !== undefined && batches >= opts.stopAfter ? 'stop' : 'continue';
    },
    async afterBatch(s) {
      batches++;
      states.push(s);
    },
  };
}

describe('search driver', () => {
  it('is deterministic for a seed; LaNAS samples valid, unique, stage-respecting architectures', async () => {
    const run = () =>
      runSearch('s', SPEC, {
        shouldContinue: () => true,
        runStage: (input) => runStage('s', SPEC, input.plan, input.state, samplerFor(SPEC), fakeExecutor()),
        train: async (c) => ({
          id: c.id,
          stage: c.stage,
          index: 0,
          arch: c.arch,
          status: 'ok',
          reward: 1,
          checkpointRef: `weights-of-${c.id}`,
        }),
      });
    const a = await run();
    const b = await run();
    assert.deepEqual(a, b);
    assert.equal(a.stages.length, 3);
    assert.deepEqual(
      a.stages.map((s) => s.evaluated),
      [10, 6, 6],
    );
    assert.equal(a.final?.arch, a.winner?.arch);
    // The warm-up runs first; stage 3 follows the weight-sharing training of stage 2's winner.
    assert.equal(a.warmup?.id, 'warmup');
    assert.equal(a.sharing?.arch, a.stages[1]!.best!.arch);
    assert.equal(a.winner?.id, a.stages[2]!.best!.id);
    assert.equal(a.stages[0]!.leaderboard.length, 5);
    const s1 = a.stages[0]!.best!.arch.split(', ');
    for (const c of [...a.stages[0]!.leaderboard, ...a.stages[1]!.leaderboard, ...a.stages[2]!.leaderboard]) {
      assert.equal(checkArchitecture(c.arch, 2), undefined, c.arch);
    }
    for (const c of a.stages[1]!.leaderboard) {
      // Stage 2 keeps stage 1's sizes.
      c.arch.split(', ').forEach((layer, l) => {
        assert.equal(layer.match(/linear\d_\d/)![0], s1[l]!.match(/linear\d_\d/)![0]);
      });
    }
  });

  it('resumes from any saved stage state with the same answer (crash / continue-as-new)', async () => {
    // 16 candidates: the tiny LaNAS plan builds its first tree after 6 samples, so the resumed
    // half samples from a tree that a fresh sampler must rebuild exactly.
    const plan = { ...stagePlans(SPEC)[0]!, planned: 16 };
    const start = initialStageState('stage1', stagePrngs(SPEC.seed).stage1);
    const full = await runStage('s', SPEC, plan, start, samplerFor(SPEC), fakeExecutor());
    for (const stopAfter of [1, 2, 3]) {
      const first = fakeExecutor({ stopAfter });
      const partial = await runStage('s', SPEC, plan, start, samplerFor(SPEC), first);
      assert.equal(partial.stopped, true);
      const saved: StageState = JSON.parse(JSON.stringify(first.states[stopAfter - 1]));
      const resumed = await runStage('s', SPEC, plan, saved, samplerFor(SPEC), fakeExecutor());
      assert.deepEqual(resumed, full);
    }
  });

  it('compacts a stage state without changing its leaderboard', async () => {
    const plan = stagePlans(SPEC)[0]!;
    const exec = fakeExecutor();
    await runStage(
      's',
      SPEC,
      plan,
      initialStageState('stage1', stagePrngs(2).stage1),
      new RandomSampler(),
      exec,
    );
    const full = exec.states[exec.states.length - 1]!;
    const withRefs: StageState = {
      ...full,
      evaluated: full.evaluated.map((r) => ({ ...r, resultRef: `sha256:${'a'.repeat(64)}`, steps: 5 })),
    };
    const compact = compactStageState(withRefs, 3);
    assert.ok(JSON.stringify(compact).length < JSON.stringify(withRefs).length);
    assert.equal(compact.evaluated.filter((r) => r.resultRef).length, 3);
    const more = fakeExecutor();
    const a = await runStage(
      's',
      { ...SPEC, topK: 3 },
      { ...plan, planned: 14 },
      withRefs,
      new RandomSampler(),
      more,
    );
    const b = await runStage(
      's',
      { ...SPEC, topK: 3 },
      { ...plan, planned: 14 },
      compact,
      new RandomSampler(),
      fakeExecutor(),
    );
    assert.deepEqual(
      a.leaderboard.map((r) => r.id),
      b.leaderboard.map((r) => r.id),
    );
    assert.deepEqual(
      a.leaderboard.filter((r) => r.index < 10),
      b.leaderboard.filter((r) => r.index < 10),
    );
  });

  it('samples in batches of batchSize whatever the parallelism', async () => {
    const log: CandidateSpec[][] = [];
    const plan = stagePlans(SPEC)[0]!;
    await runStage(
      's',
      SPEC,
      plan,
      initialStageState('stage1', stagePrngs(1).stage1),
      new RandomSampler(),
      fakeExecutor({ log }),
    );
    assert.deepEqual(
      log.map((b) => b.length),
      [4, 4, 2],
    );
    assert.deepEqual(
      log.flat().map((c) => c.id),
      Array.from({ length: 10 }, (_, i) => `stage1-${String(i).padStart(4, '0')}`),
    );
  });
});
