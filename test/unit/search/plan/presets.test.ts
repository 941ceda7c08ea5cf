import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allLinear11, PLAIN_GELU_SEEDS, PLAN_PRESETS } from '../../../../efficientbert/search/plan/presets';
import { validateSearchPlan } from '../../../../efficientbert/search/plan/validate';

const paper = PLAN_PRESETS.paper;

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
});
