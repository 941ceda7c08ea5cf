import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CandidateResult, CandidateSpec } from '../../../efficientbert/search/candidates';
import { runSearch, runStage } from '../../../efficientbert/search/driver';
import { kendallTauB, rankingCandidates, rankingCheckOf } from '../../../efficientbert/search/ranking';
import { samplerFor } from '../../../efficientbert/search/samplers/select';
import { type SearchSpec, validateSearchSpec } from '../../../efficientbert/search/spec';
import { fakeFinalState, fakeReward } from '../../../services/worker/trainer/fake';
import { TINY_SEARCH_SPEC } from '../../fixtures/tiny-search-spec';

const result = (id: string, reward: number, extra: Partial<CandidateResult> = {}): CandidateResult => ({
  id,
  stage: id.split('-')[0] as CandidateResult['stage'],
  index: Number(id.split('-')[1]),
  arch: `arch-of-${id}`,
  status: 'ok',
  reward,
  ...extra,
});

describe("Kendall's tau-b", () => {
  it('is 1 for the same order, -1 for the reverse, and in between for a mix', () => {
    assert.equal(kendallTauB([1, 2, 3, 4], [10, 20, 30, 40]), 1);
    assert.equal(kendallTauB([1, 2, 3, 4], [40, 30, 20, 10]), -1);
    // Pairs: (1,2) discordant, (1,3) and (2,3) concordant.
    assert.equal(kendallTauB([3, 2, 1], [2, 3, 1]), 1 / 3);
  });

  it('corrects for ties (tau-b, not tau-a)', () => {
    // x ties one pair: 2 concordant of 3 pairs, denominators sqrt(2 * 3).
    assert.equal(kendallTauB([1, 1, 2], [1, 2, 3]), 2 / Math.sqrt(6));
    // A pair tied on both sides counts on neither.
    assert.equal(kendallTauB([1, 1, 2], [5, 5, 6]), 1);
  });

  it('is undefined (NaN) for fewer than two pairs or a constant side', () => {
    assert.ok(Number.isNaN(kendallTauB([], [])));
    assert.ok(Number.isNaN(kendallTauB([0.7], [0.9])));
    assert.ok(Number.isNaN(kendallTauB([0.5, 0.5, 0.5], [0.1, 0.2, 0.3])));
    assert.throws(() => kendallTauB([1, 2], [1]), RangeError);
  });
});

describe('the candidates a rank check verifies', () => {
  it('are the n best of stages 1-2, trained and ok, one per architecture', () => {
    const results = [
      result('stage1-0000', 0.6),
      result('stage1-0001', 0.9, { status: 'failed' }),
      result('stage1-0002', 0.8),
      result('stage1-0003', 0.8, { duplicateOf: 'stage1-0002', arch: 'other' }),
      result('stage2-0000', 0.8, { carriedFrom: 'stage1-0002', arch: 'arch-of-stage1-0002' }),
      result('stage2-0001', 0.7, { arch: 'arch-of-stage1-0000' }),
      result('stage2-0002', 0.75),
      result('stage3-0000', 0.99),
    ];
    assert.deepEqual(
      rankingCandidates(results, 3).map((r) => r.id),
      ['stage1-0002', 'stage2-0002', 'stage2-0001'],
    );
    // stage2-0001 took the architecture of stage1-0000 first (better reward): one of them only.
    assert.deepEqual(
      rankingCandidates(results, 10).map((r) => r.id),
      ['stage1-0002', 'stage2-0002', 'stage2-0001'],
    );
    assert.deepEqual(rankingCandidates(results, 0), []);
  });

  it('pairs each pick with its final training; tau over the trained ones, absent when undefined', () => {
    const picks = [result('stage1-0000', 0.9), result('stage1-0001', 0.8), result('stage1-0002', 0.7)];
    const finals = [
      result('verify-0000', 0.85),
      result('verify-0001', 0, { status: 'failed', error: 'oom' }),
      result('verify-0002', 0.8),
    ];
    const check = rankingCheckOf(picks, finals);
    assert.deepEqual(
      check.entries.map((e) => [e.candidateId, e.proxyReward, e.final.id]),
      [
        ['stage1-0000', 0.9, 'verify-0000'],
        ['stage1-0001', 0.8, 'verify-0001'],
        ['stage1-0002', 0.7, 'verify-0002'],
      ],
    );
    assert.equal(check.kendallTau, 1);
    const one = rankingCheckOf(picks.slice(0, 2), finals.slice(0, 2));
    assert.equal('kendallTau' in one, false);
    assert.equal(JSON.parse(JSON.stringify(one)).kendallTau, undefined);
  });
});

describe('the rank check in a search', () => {
  const train = async (c: CandidateSpec): Promise<CandidateResult> => ({
    id: c.id,
    stage: c.stage,
    index: c.index,
    arch: c.arch,
    status: 'ok',
    // Verify trainings score with another state than the proxy's, as a longer training would.
    reward: fakeReward(c.arch, fakeFinalState(c.arch, c.seed, 50)),
    checkpointRef: `weights-of-${c.id}`,
  });
  const executor = {
    async evaluate(cands: readonly CandidateSpec[]) {
      return Promise.all(cands.map(train));
    },
    beforeBatch: async () => 'continue' as const,
    afterBatch: async () => undefined,
  };
  const search = (spec: SearchSpec, trained: CandidateSpec[], verifies?: () => boolean) =>
    runSearch('s', spec, {
      shouldContinue: () => true,
      runStage: (input) => runStage('s', input.spec, input.plan, input.state, samplerFor(spec), executor),
      train: async (c) => {
        trained.push(c);
        return train(c);
      },
      ...(verifies ? { verifiesRanking: verifies } : {}),
    });

  it('trains the best stage 1-2 candidates after the baseline, with its seed, and ranks them', async () => {
    const spec: SearchSpec = { ...TINY_SEARCH_SPEC, verifyRanking: 4 };
    const trained: CandidateSpec[] = [];
    const outcome = await search(spec, trained);
    const all = outcome.stages.slice(0, 2).flatMap((s) => s.rankingPool ?? []);
    const expected = rankingCandidates(all, 4);
    assert.equal(expected.length, 4);
    const verify = trained.filter((c) => c.stage === 'verify');
    assert.deepEqual(trained.map((c) => c.stage).slice(-5), [
      'baseline',
      'verify',
      'verify',
      'verify',
      'verify',
    ]);
    const baseline = trained.find((c) => c.stage === 'baseline')!;
    assert.deepEqual(
      verify.map((c) => [c.id, c.arch, c.seed]),
      expected.map((p, i) => [`verify-000${i}`, p.arch, baseline.seed]),
    );
    const check = outcome.rankingCheck!;
    assert.deepEqual(
      check.entries.map((e) => e.candidateId),
      expected.map((p) => p.id),
    );
    assert.equal(
      check.kendallTau,
      kendallTauB(
        check.entries.map((e) => e.proxyReward),
        check.entries.map((e) => e.final.reward),
      ),
    );
    assert.deepEqual(await search(spec, []), outcome, 'same seed, same check');
  });

  it('costs nothing by default, and nothing when the patch says the search predates it', async () => {
    for (const [spec, verifies] of [
      [TINY_SEARCH_SPEC, undefined],
      [{ ...TINY_SEARCH_SPEC, verifyRanking: 3 }, () => false],
    ] as const) {
      const trained: CandidateSpec[] = [];
      const outcome = await search(spec, trained, verifies);
      assert.equal(trained.at(-1)?.stage, 'baseline');
      assert.equal(outcome.rankingCheck, undefined);
    }
  });
});

describe('spec.verify_ranking', () => {
  it('takes 0 to 20 and names the field otherwise', () => {
    for (const ok of [0, 1, 20])
      assert.deepEqual(validateSearchSpec({ ...TINY_SEARCH_SPEC, verifyRanking: ok }), []);
    for (const bad of [-1, 1.5, 21, Number.NaN]) {
      const errors = validateSearchSpec({ ...TINY_SEARCH_SPEC, verifyRanking: bad });
      assert.deepEqual(
        errors.map((e) => e.field),
        ['verify_ranking'],
        String(bad),
      );
    }
  });
});
