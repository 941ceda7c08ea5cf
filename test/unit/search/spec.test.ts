import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DirArtifactStore } from '../../../efficientbert/artifacts';
import { methodOf } from '../../../efficientbert/search/plan/method';
import { PLAN_PRESETS } from '../../../efficientbert/search/plan/presets';
import {
  DEFAULTS,
  paramBudgetOf,
  resolveSearchSpec,
  type SearchSpec,
  validateSearchSpec,
} from '../../../efficientbert/search/spec';
import { runSearchInProcess } from '../../../workflows/in-process';
import { TINY_SEARCH_SPEC } from '../../fixtures/tiny-search-spec';

const SPEC: SearchSpec = TINY_SEARCH_SPEC;

describe('search spec', () => {
  it('validates a spec field by field', () => {
    assert.deepEqual(validateSearchSpec(SPEC), []);
    const bad = validateSearchSpec({
      ...SPEC,
      preset: 'huge' as never,
      parallelism: 0,
      stages: { stage1: 1, stage2: 0, stage3: 1 },
      budget: { steps: 1, finalSteps: 1, checkpointEvery: 0 },
    });
    assert.deepEqual(
      bad.map((e) => e.field),
      ['preset', 'parallelism', 'stages.stage2_candidates', 'budget.checkpoint_every'],
    );
  });

  it('lengthens the warm-up fine-tune for a given teacher, unless the request sets it', () => {
    const teacherRef = `sha256:${'a'.repeat(64)}`;
    const base = { preset: 'tiny' as const, tasks: ['sst2'], seed: 1 };
    assert.equal(resolveSearchSpec(base).method.warmup.finetuneSteps, 120);
    assert.equal(resolveSearchSpec({ ...base, teacherRef }).method.warmup.finetuneSteps, 600);
    const explicit = resolveSearchSpec({ ...base, teacherRef, method: { warmup: { finetuneSteps: 50 } } });
    assert.equal(explicit.method.warmup.finetuneSteps, 50);
    // Everything else about the warm-up stays the preset's.
    const { finetuneSteps: _a, ...withTeacher } = resolveSearchSpec({ ...base, teacherRef }).method.warmup;
    const { finetuneSteps: _b, ...without } = resolveSearchSpec(base).method.warmup;
    assert.deepEqual(withTeacher, without);
    assert.equal(
      resolveSearchSpec({ ...base, preset: 'small', teacherRef }).method.warmup.finetuneSteps,
      PLAN_PRESETS.small.warmup.finetuneSteps,
    );
  });

  it('fills what a request leaves out, once, from the preset and the defaults', () => {
    const spec = resolveSearchSpec({ preset: 'tiny', tasks: ['sst2'], seed: 1 });
    const plan = PLAN_PRESETS.tiny;
    assert.deepEqual(spec.method, methodOf(plan));
    assert.deepEqual(spec.stages, { stage1: 12, stage2: 8, stage3: 8 });
    assert.equal(spec.budget.steps, plan.stage1.proxy.pretrainSteps + plan.stage1.proxy.finetuneSteps);
    assert.equal(spec.budget.finalSteps, plan.final.pretrainSteps + plan.final.finetuneSteps);
    assert.equal(spec.budget.checkpointEvery, DEFAULTS.minCheckpointEvery);
    assert.deepEqual([spec.parallelism, spec.batchSize, spec.topK], [1, 10, 10]);
    assert.equal('paramRange' in spec, false, 'tiny has no budget');
    assert.deepEqual(validateSearchSpec(spec), []);
    // The paper preset's budget becomes the spec's range, which every stage then reads.
    const paper = resolveSearchSpec({ preset: 'paper', tasks: ['mnli'], seed: 1 });
    assert.deepEqual(paper.paramRange, [15, 16]);
    assert.deepEqual(paramBudgetOf(paper), PLAN_PRESETS.paper.stage1.paramBudget);
    const overridden = resolveSearchSpec({
      preset: 'tiny',
      tasks: ['sst2'],
      seed: 1,
      method: { proxy: { finetuneSteps: 7 } },
    });
    assert.equal(overridden.method.proxy.finetuneSteps, 7);
    assert.equal(overridden.budget.steps, plan.stage1.proxy.pretrainSteps + 7);
  });

  it('holds the method to the rules the gateway enforces, with the request field paths', () => {
    const errors = validateSearchSpec({
      ...SPEC,
      method: {
        ...SPEC.method,
        scoring: { task: 'squad', heldOutFraction: 0.1 },
        weightSharing: { ...SPEC.method.weightSharing, trainFraction: 0.95 },
      },
    });
    assert.deepEqual(
      errors.map((e) => e.field),
      ['method.scoring.task'],
    );
    const overlap = validateSearchSpec({
      ...SPEC,
      method: { ...SPEC.method, weightSharing: { ...SPEC.method.weightSharing, trainFraction: 0.95 } },
    });
    assert.deepEqual(overlap, [
      {
        field: 'method.scoring.held_out_fraction',
        message: 'must not overlap method.weight_sharing.train_fraction (sum <= 1), got 0.1',
      },
    ]);
  });

  it('in-process runs refuse a spec the gateway would refuse', async () => {
    const spec = { ...SPEC, method: { ...SPEC.method, final: { ...SPEC.method.final, tasks: ['squad'] } } };
    await assert.rejects(
      runSearchInProcess('bad', spec, { store: new DirArtifactStore('/nonexistent'), trainer: 'fake' }),
      /method\.final\.tasks\[0\] must be a GLUE task/,
    );
  });
});
