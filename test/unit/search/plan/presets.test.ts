import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  allLinear11,
  PLAIN_GELU_SEEDS,
  PLAN_PRESETS,
  type SearchPlan,
  validateSearchPlan,
} from '../../../../efficientbert/search/plan/presets';

const paper = PLAN_PRESETS.paper;

function fields(plan: SearchPlan): string[] {
  return validateSearchPlan(plan).map((e) => e.field);
}

describe('stage plans', () => {
  it('ships valid presets', () => {
    for (const [name, plan] of Object.entries(PLAN_PRESETS)) {
      assert.deepEqual(validateSearchPlan(plan), [], name);
      assert.equal(plan.preset, name);
    }
    assert.deepEqual([PLAN_PRESETS.tiny.layers, PLAN_PRESETS.small.layers, paper.layers], [2, 4, 6]);
  });

  it('describes the reference stages', () => {
    assert.equal(PLAIN_GELU_SEEDS.length, 16);
    assert.equal(PLAIN_GELU_SEEDS[0], 'linear1_1(gelu(linear1_1(x,wb1)),wb2)');
    assert.equal(PLAIN_GELU_SEEDS[15], 'linear4_4(gelu(linear4_4(x,wb1)),wb2)');
    assert.equal(paper.stage1.firstCandidate, allLinear11(6));
    assert.equal(paper.stage1.firstCandidate.split(', ').length, 6);
    assert.deepEqual(paper.stage1.paramBudget, { min: 15e6, max: 16e6 });
    assert.equal(paper.stage1.proxy.task, 'mnli');
    assert.equal(paper.stage1.proxy.heldOutFraction, 0.01);
    assert.equal(paper.stage3.weightSharing.tasks.length, 8);
    assert.equal(paper.stage3.scoring.task, 'mnli');
    assert.deepEqual(PLAN_PRESETS.tiny.stage3.weightSharing.tasks, ['sst2', 'stsb']);
  });

  it('names the offending field of every error', () => {
    const bad: SearchPlan = {
      ...paper,
      stage1: { ...paper.stage1, candidates: 0, paramBudget: { min: 16e6, max: 15e6 } },
      stage2: { ...paper.stage2, proxy: { ...paper.stage2.proxy, heldOutFraction: 1.5 } },
      stage3: {
        ...paper.stage3,
        sampler: { ...paper.stage3.sampler, cp: -1 },
        weightSharing: { ...paper.stage3.weightSharing, tasks: [] },
      },
      final: { ...paper.final, batchSize: 2.5 },
    };
    const errors = validateSearchPlan(bad);
    assert.deepEqual(
      errors.map((e) => e.field),
      [
        'stage1.candidates',
        'stage1.paramBudget.max',
        'stage2.proxy.heldOutFraction',
        'stage2.proxy.heldOutFraction',
        'stage3.sampler.cp',
        'stage3.weightSharing.tasks',
        'final.batchSize',
      ],
    );
    assert.equal(errors[0]!.message, 'stage1.candidates must be a positive integer, got 0');
    for (const e of errors) assert.ok(e.message.startsWith(`${e.field} `), e.message);
  });

  it('checks architectures and missing sections', () => {
    assert.deepEqual(fields({ ...paper, stage1: { ...paper.stage1, firstCandidate: allLinear11(4) } }), [
      'stage1.firstCandidate',
    ]);
    assert.deepEqual(fields({ ...paper, stage1: { ...paper.stage1, seeds: ['linear1_1(x wb1)'] } }), [
      'stage1.seeds[0]',
    ]);
    const { final: _omitted, ...rest } = paper;
    assert.deepEqual(fields(rest as SearchPlan), ['final']);
  });
});
