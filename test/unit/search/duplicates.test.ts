import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CandidateResult, CandidateSpec } from '../../../efficientbert/search/candidates';
import {
  type CandidateSampler,
  compactStageState,
  initialStageState,
  runSearch,
  runStage,
  type SearchExecutor,
  stagePrngs,
} from '../../../efficientbert/search/driver';
import { functionOf } from '../../../efficientbert/search/duplicates';
import { samplerFor } from '../../../efficientbert/search/samplers/select';
import { TINY_SEARCH_SPEC } from '../../fixtures/tiny-search-spec';

const layer = (inner: string) => `linear1_1(gelu(linear1_1(${inner},wb1)),wb2)`;
const arch = (a: string, b = 'x') => `${layer(a)}, ${layer(b)}`;

/** Proposes a fixed list, batch by batch, whatever the history. */
function scripted(batches: readonly string[][]): CandidateSampler {
  let next = 0;
  return { sample: () => batches[next++] ?? [] };
}

function countingExecutor(): SearchExecutor & { trained: CandidateSpec[] } {
  const trained: CandidateSpec[] = [];
  return {
    trained,
    async evaluate(cands) {
      trained.push(...cands);
      return cands.map(
        (c, i): CandidateResult => ({
          id: c.id,
          stage: c.stage,
          index: c.index,
          arch: c.arch,
          status: 'ok',
          reward: 0.5 + 0.01 * (trained.length - cands.length + i),
          resultRef: `sha256:${String(c.index).padStart(64, '0')}`,
        }),
      );
    },
    beforeBatch: async () => 'continue',
    afterBatch: async () => undefined,
  };
}

describe('functional duplicates in a stage', () => {
  it('trains two candidates computing the same function once; the second carries the first reward', async () => {
    assert.equal(functionOf('tiny', arch('add(x,tanh(x))')), functionOf('tiny', arch('add(tanh(x),x)')));
    const executor = countingExecutor();
    const plan = { stage: 'stage1' as const, planned: 5, batchSize: 3 };
    const start = initialStageState('stage1', stagePrngs(1).stage1);
    const sampler = scripted([
      // In one batch: the swapped add is a duplicate of the candidate before it.
      [arch('add(x,tanh(x))'), arch('add(tanh(x),x)'), arch('mul(x,tanh(x))')],
      // In a later batch: the swapped mul repeats a candidate of the first batch.
      [arch('mul(tanh(x),x)'), arch('max(x,tanh(x))')],
    ]);
    const out = await runStage('s', TINY_SEARCH_SPEC, plan, start, sampler, executor);
    assert.deepEqual(
      executor.trained.map((c) => c.index),
      [0, 2, 4],
    );
    assert.equal(out.evaluated, 5);
    const board = new Map(out.leaderboard.map((r) => [r.index, r]));
    const first = board.get(0)!;
    const dup = board.get(1)!;
    assert.equal(dup.duplicateOf, first.id);
    assert.equal(dup.reward, first.reward);
    assert.equal(dup.arch, arch('add(tanh(x),x)'));
    assert.equal(board.get(3)!.duplicateOf, board.get(2)!.id);
    assert.equal(board.get(4)!.duplicateOf, undefined);
  });

  it('retrains a function whose first candidate failed, and keeps duplicateOf through compaction', async () => {
    const failed: CandidateResult = {
      id: 'stage1-0000',
      stage: 'stage1',
      index: 0,
      arch: arch('add(x,tanh(x))'),
      status: 'failed',
      reward: 0,
    };
    const executor = countingExecutor();
    const start = { ...initialStageState('stage1', stagePrngs(1).stage1), evaluated: [failed] };
    const plan = { stage: 'stage1' as const, planned: 3, batchSize: 2 };
    const sampler = scripted([[arch('add(tanh(x),x)'), arch('add(x,tanh(x))')]]);
    const out = await runStage('s', TINY_SEARCH_SPEC, plan, start, sampler, executor);
    assert.deepEqual(
      executor.trained.map((c) => c.index),
      [1],
    );
    const state = { stage: 'stage1' as const, evaluated: out.leaderboard, prng: start.prng };
    const compact = compactStageState(state, 1);
    assert.equal(compact.evaluated.find((r) => r.index === 2)?.duplicateOf, 'stage1-0001');
  });
});

describe('carry-over between stages', () => {
  it("stage 2 starts from stage 1's winner, untrained, so its best never ends below stage 1's", async () => {
    const trained: CandidateSpec[] = [];
    // Rewards fall with every training: without the carry-over stage 2 would end below stage 1.
    let reward = 0.9;
    const executor: SearchExecutor = {
      async evaluate(cands) {
        trained.push(...cands);
        return cands.map((c) => ({
          id: c.id,
          stage: c.stage,
          index: c.index,
          arch: c.arch,
          status: 'ok' as const,
          reward: (reward -= 0.01),
        }));
      },
      beforeBatch: async () => 'continue',
      afterBatch: async () => undefined,
    };
    const spec = TINY_SEARCH_SPEC;
    const outcome = await runSearch('carry', spec, {
      shouldContinue: () => true,
      runStage: (input) => runStage('carry', input.spec, input.plan, input.state, samplerFor(spec), executor),
      train: async (c) => ({ ...c, status: 'ok', reward: 1, checkpointRef: `weights-of-${c.id}` }),
    });
    const [s1, s2] = outcome.stages;
    const carried = s2!.leaderboard.find((r) => r.index === 0)!;
    assert.equal(carried.carriedFrom, s1!.best!.id);
    assert.equal(carried.arch, s1!.best!.arch);
    assert.equal(carried.reward, s1!.best!.reward);
    assert.ok(
      !trained.some((c) => c.stage === 'stage2' && c.index === 0),
      'the carried winner is not retrained',
    );
    assert.ok(s2!.best!.reward >= s1!.best!.reward);
    assert.equal(s2!.evaluated, spec.stages.stage2);
  });

  it("stage 2 then tries stage 1's winner's plain version; stage 3 starts from stage 2's winner", async () => {
    const trained: CandidateSpec[] = [];
    const PLAIN = /^(linear\d_\d)\(gelu\(\1\(x,wb1\)\),wb2\)$/;
    const isPlain = (arch: string) => arch.split(', ').every((l) => PLAIN.test(l));
    let reward = 0.9;
    const executor: SearchExecutor = {
      async evaluate(cands) {
        trained.push(...cands);
        // Plain models score low, so stage 1's winner is a searched expression.
        return cands.map((c) => ({
          ...c,
          status: 'ok' as const,
          reward: isPlain(c.arch) ? 0.1 : (reward -= 0.01),
        }));
      },
      beforeBatch: async () => 'continue',
      afterBatch: async () => undefined,
    };
    const spec = TINY_SEARCH_SPEC;
    const outcome = await runSearch('plain', spec, {
      shouldContinue: () => true,
      runStage: (input) => runStage('plain', input.spec, input.plan, input.state, samplerFor(spec), executor),
      train: async (c) => ({ ...c, status: 'ok', reward: 1, checkpointRef: `weights-of-${c.id}` }),
    });
    const winner = outcome.stages[0]!.best!.arch;
    assert.ok(!isPlain(winner));
    const plain = winner
      .split(', ')
      .map((layer) => {
        const size = /linear\d_\d/.exec(layer)![0];
        return `${size}(gelu(${size}(x,wb1)),wb2)`;
      })
      .join(', ');
    const next = trained.find((c) => c.stage === 'stage2' && c.index === 1);
    assert.equal(next?.arch, plain);
    // Stage 3 starts from stage 2's winner at its own sizes.
    const first3 = trained.find((c) => c.stage === 'stage3' && c.index === 0);
    assert.equal(first3?.arch, outcome.stages[1]!.best!.arch);
  });
});
