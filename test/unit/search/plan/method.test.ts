import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { methodOf } from '../../../../efficientbert/search/plan/method';
import { PLAN_PRESETS } from '../../../../efficientbert/search/plan/presets';
import { specFromPb, specToPb } from '../../../../services/search/convert';
import { methodFromPb } from '../../../../services/search/method';

const fields = (preset: string, method: unknown) =>
  methodFromPb(preset, method as never).errors.map((e) => e.field);

describe('search spec method settings (proto ↔ plan)', () => {
  it('takes the preset for everything unset and overrides field by field', () => {
    const { method, errors } = methodFromPb('tiny', {
      proxy: { finetune_steps: 7 },
      final: { tasks: ['stsb'] },
    });
    assert.deepEqual(errors, []);
    const tiny = methodOf(PLAN_PRESETS.tiny);
    assert.deepEqual(method, {
      ...tiny,
      proxy: { ...tiny.proxy, finetuneSteps: 7 },
      final: { ...tiny.final, tasks: ['stsb'] },
    });
    assert.deepEqual(methodFromPb('small', null).method, methodOf(PLAN_PRESETS.small));
  });

  it("the warm-up's task fine-tune is the preset's choice unless the request turns it on or off", () => {
    assert.equal(methodFromPb('paper', null).method!.warmup.taskFinetune, false);
    assert.equal(methodFromPb('tiny', null).method!.warmup.taskFinetune, true);
    const off = methodFromPb('tiny', { warmup: { task_finetune: 'WARMUP_TASK_FINETUNE_OFF' } });
    assert.equal(off.method!.warmup.taskFinetune, false);
    const on = methodFromPb('paper', { warmup: { task_finetune: 'WARMUP_TASK_FINETUNE_ON' } });
    assert.equal(on.method!.warmup.taskFinetune, true);
  });

  it("points every training at a user dataset's task unless the request names another", () => {
    const { method, errors } = methodFromPb(
      'tiny',
      { final: { tasks: ['intent', 'sst2'] } },
      { userTask: 'intent', teacherGiven: false },
    );
    assert.deepEqual(errors, []);
    assert.equal(method!.warmup.task, 'intent');
    assert.equal(method!.proxy.task, 'intent');
    assert.deepEqual(method!.weightSharing.tasks, ['intent']);
    assert.equal(method!.scoring.task, 'intent');
    assert.deepEqual(method!.final.tasks, ['intent', 'sst2']);
    assert.deepEqual(
      methodFromPb(
        'tiny',
        { scoring: { task: 'other' } },
        { userTask: 'intent', teacherGiven: false },
      ).errors.map((e) => e.field),
      ['spec.method.scoring.task'],
    );
  });

  it('names the request field of every bad setting', () => {
    assert.deepEqual(fields('tiny', { proxy: { train_fraction: 1.5, held_out_fraction: 0.5 } }), [
      'spec.method.proxy.train_fraction',
      'spec.method.proxy.held_out_fraction',
    ]);
    assert.deepEqual(fields('tiny', { weight_sharing: { tasks: ['sst2', 'Bad Task'] } }), [
      'spec.method.weight_sharing.tasks[1]',
    ]);
    assert.deepEqual(fields('tiny', { scoring: { task: 'squad' } }), ['spec.method.scoring.task']);
    assert.deepEqual(fields('tiny', { warmup: { teacher: { steps: 2.5 } } }), [
      'spec.method.warmup.teacher.steps',
    ]);
    assert.deepEqual(fields('tiny', { weight_sharing: { train_fraction: 0.95 } }), [
      'spec.method.scoring.held_out_fraction',
    ]);
  });

  it('a spec without stages, budget or method gets the preset, and round-trips through the proto', () => {
    const { spec, errors } = specFromPb({ preset: 'tiny', tasks: ['sst2'], seed: 1 } as never);
    assert.deepEqual(errors, []);
    const plan = PLAN_PRESETS.tiny;
    assert.deepEqual(spec!.stages, {
      stage1: plan.stage1.candidates,
      stage2: plan.stage2.candidates,
      stage3: plan.stage3.candidates,
    });
    assert.equal(spec!.budget.steps, plan.stage1.proxy.pretrainSteps + plan.stage1.proxy.finetuneSteps);
    assert.deepEqual(specFromPb(specToPb(spec!) as never).spec, spec);
  });
});
