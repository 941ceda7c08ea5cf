import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allLinear11, PLAN_PRESETS, type SearchPlan } from '../../../../efficientbert/search/plan/presets';
import { validateSearchPlan } from '../../../../efficientbert/search/plan/validate';

const paper = PLAN_PRESETS.paper;

function fields(plan: SearchPlan): string[] {
  return validateSearchPlan(plan).map((e) => e.field);
}

describe('stage plan validation', () => {
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

  it('holds every plan to the rules of the method: GLUE tasks, no sharing/scoring overlap', () => {
    const tiny = PLAN_PRESETS.tiny;
    assert.deepEqual(fields({ ...tiny, final: { ...tiny.final, tasks: ['sst2', 'squad'] } }), [
      'final.tasks[1]',
    ]);
    const overlap: SearchPlan = {
      ...tiny,
      stage3: { ...tiny.stage3, weightSharing: { ...tiny.stage3.weightSharing, trainFraction: 0.95 } },
    };
    assert.deepEqual(fields(overlap), ['stage3.scoring.heldOutFraction']);
    // Scoring on a task the sharing never trains on reads no trained-on examples.
    const apart: SearchPlan = {
      ...overlap,
      stage3: { ...overlap.stage3, scoring: { task: 'rte', heldOutFraction: 0.1 } },
    };
    assert.deepEqual(fields(apart), []);
  });
});
