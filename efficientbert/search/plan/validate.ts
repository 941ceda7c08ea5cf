/**
 * The rules a search plan must satisfy, each error naming its field (`stage1.candidates`): the
 * shapes (counts, rates, fractions, token-form architectures) and the method's own rules, so that
 * a plan from any source (a preset, a request's overrides, an in-process caller) is held to them:
 * every task is a GLUE task or the search's own dataset, and no training reads the examples a reward is measured on.
 */

import type { FieldError } from '../../core/field-errors';
import { isPresetName, PRESET_NAMES } from '../../core/presets';
import { GLUE_TASK_NAMES, isGlueTaskName } from '../../data/task-names';
import type { ParamBudget } from '../../space/sample';
import type { KdSchedule, ProxyTraining, SearchPlan, StageSampler } from './presets';

const ARCH_TOKEN = /^[a-z0-9_(),]+$/;

/**
 * Every problem in `plan`, each naming its field; empty when the plan is valid. `userTask`: the
 * name of the search's own dataset (spec.data), a task the trainings can read besides GLUE.
 */
export function validateSearchPlan(plan: SearchPlan, userTask?: string): FieldError[] {
  const errors: FieldError[] = [];
  const fail = (field: string, rule: string, got: unknown): void => {
    errors.push({ field, message: `${field} ${rule}, got ${JSON.stringify(got) ?? String(got)}` });
  };
  const posInt = (field: string, v: unknown) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(field, 'must be a positive integer', v);
  };
  const positive = (field: string, v: unknown) => {
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) fail(field, 'must be a positive number', v);
  };
  const fraction = (field: string, v: unknown) => {
    if (typeof v !== 'number' || !(v > 0 && v <= 1)) fail(field, 'must be in (0, 1]', v);
  };
  const task = (field: string, v: unknown) => {
    if (typeof v !== 'string' || !/^[a-z0-9-]+$/.test(v))
      fail(field, 'must be a task name (lowercase, digits, dashes)', v);
    // The trainings read GLUE and the search's own dataset only: anything else would fail inside a worker.
    else if (!isGlueTaskName(v) && v !== userTask)
      fail(
        field,
        `must be ${userTask ? `'${userTask}' (data) or ` : ''}a GLUE task (${GLUE_TASK_NAMES.join(', ')})`,
        v,
      );
  };
  const tasks = (field: string, v: unknown) => {
    if (!Array.isArray(v) || v.length === 0) fail(field, 'must name at least one task', v);
    else
      v.forEach((t, i) => {
        task(`${field}[${i}]`, t);
      });
  };
  const arch = (field: string, v: unknown, layers: number | undefined) => {
    const parts = typeof v === 'string' ? v.split(', ') : [];
    if (typeof v !== 'string' || !parts.every((p) => ARCH_TOKEN.test(p)))
      fail(field, 'must be in token form', v);
    else if (layers !== undefined && parts.length !== layers)
      fail(field, `must have ${layers} layers`, parts.length);
  };
  const budget = (field: string, b: ParamBudget | undefined) => {
    if (b === undefined) return;
    if (typeof b.min !== 'number' || !(b.min >= 0)) fail(`${field}.min`, 'must be a number >= 0', b.min);
    if (typeof b.max !== 'number' || !(b.max > b.min))
      fail(`${field}.max`, `must be greater than ${field}.min`, b.max);
  };
  const sampler = (field: string, s: StageSampler) => {
    posInt(`${field}.nInit`, s.nInit);
    posInt(`${field}.trainInterval`, s.trainInterval);
    if (typeof s.cp !== 'number' || !(s.cp >= 0) || !Number.isFinite(s.cp)) {
      fail(`${field}.cp`, 'must be a finite number >= 0', s.cp);
    }
    if (typeof s.localShare !== 'number' || !(s.localShare >= 0 && s.localShare <= 1))
      fail(`${field}.localShare`, 'must be in [0, 1]', s.localShare);
    const t = s.splitThresholds;
    if (!Array.isArray(t) || t.some((x, i) => !Number.isInteger(x) || x < 1 || (i > 0 && x <= t[i - 1]!))) {
      fail(`${field}.splitThresholds`, 'must be increasing positive integers', t);
    }
  };
  const common = (field: string, s: SearchPlan['stage1' | 'stage2' | 'stage3']) => {
    posInt(`${field}.candidates`, s.candidates);
    posInt(`${field}.parallelism`, s.parallelism);
    if (s.sampler === undefined) fail(`${field}.sampler`, 'is required', undefined);
    else sampler(`${field}.sampler`, s.sampler);
  };
  const schedule = (field: string, k: KdSchedule) => {
    posInt(`${field}.pretrainSteps`, k.pretrainSteps);
    positive(`${field}.pretrainLearningRate`, k.pretrainLearningRate);
    posInt(`${field}.finetuneSteps`, k.finetuneSteps);
    positive(`${field}.finetuneLearningRate`, k.finetuneLearningRate);
    posInt(`${field}.batchSize`, k.batchSize);
  };
  const proxy = (field: string, p: ProxyTraining) => {
    if (p === undefined) {
      fail(field, 'is required', undefined);
      return;
    }
    schedule(field, p);
    task(`${field}.task`, p.task);
    fraction(`${field}.trainFraction`, p.trainFraction);
    fraction(`${field}.heldOutFraction`, p.heldOutFraction);
    if (p.trainFraction + p.heldOutFraction > 1) {
      fail(
        `${field}.heldOutFraction`,
        `must not overlap ${field}.trainFraction (sum <= 1)`,
        p.heldOutFraction,
      );
    }
  };

  if (!isPresetName(plan.preset)) fail('preset', `must be one of ${PRESET_NAMES.join(', ')}`, plan.preset);
  posInt('layers', plan.layers);
  const layers = Number.isInteger(plan.layers) ? plan.layers : undefined;

  const w0 = plan.warmup;
  if (w0 === undefined) fail('warmup', 'is required', undefined);
  else {
    if (w0.teacher === undefined) fail('warmup.teacher', 'is required', undefined);
    else {
      posInt('warmup.teacher.layers', w0.teacher.layers);
      posInt('warmup.teacher.heads', w0.teacher.heads);
      posInt('warmup.teacher.steps', w0.teacher.steps);
      positive('warmup.teacher.learningRate', w0.teacher.learningRate);
      positive('warmup.teacher.finetuneLearningRate', w0.teacher.finetuneLearningRate);
    }
    schedule('warmup', w0);
    task('warmup.task', w0.task);
    fraction('warmup.trainFraction', w0.trainFraction);
    if (typeof w0.taskFinetune !== 'boolean')
      fail('warmup.taskFinetune', 'must be true or false', w0.taskFinetune);
  }

  const s1 = plan.stage1;
  if (s1 === undefined) fail('stage1', 'is required', undefined);
  else {
    common('stage1', s1);
    budget('stage1.paramBudget', s1.paramBudget);
    if (!Array.isArray(s1.seeds) || s1.seeds.length === 0)
      fail('stage1.seeds', 'must list at least one expression', s1.seeds);
    else
      s1.seeds.forEach((e, i) => {
        arch(`stage1.seeds[${i}]`, e, 1);
      });
    arch('stage1.firstCandidate', s1.firstCandidate, layers);
    proxy('stage1.proxy', s1.proxy);
  }

  const s2 = plan.stage2;
  if (s2 === undefined) fail('stage2', 'is required', undefined);
  else {
    common('stage2', s2);
    if (s2.seedFrom !== 'winner-or-plain') fail('stage2.seedFrom', "must be 'winner-or-plain'", s2.seedFrom);
    proxy('stage2.proxy', s2.proxy);
  }

  const s3 = plan.stage3;
  if (s3 === undefined) fail('stage3', 'is required', undefined);
  else {
    common('stage3', s3);
    budget('stage3.paramBudget', s3.paramBudget);
    if (s3.sizeChoices !== 'stage2-or-any')
      fail('stage3.sizeChoices', "must be 'stage2-or-any'", s3.sizeChoices);
    const w = s3.weightSharing;
    if (w === undefined) fail('stage3.weightSharing', 'is required', undefined);
    else {
      schedule('stage3.weightSharing', w);
      tasks('stage3.weightSharing.tasks', w.tasks);
      fraction('stage3.weightSharing.trainFraction', w.trainFraction);
    }
    if (s3.scoring === undefined) fail('stage3.scoring', 'is required', undefined);
    else {
      task('stage3.scoring.task', s3.scoring.task);
      fraction('stage3.scoring.heldOutFraction', s3.scoring.heldOutFraction);
      // Scoring reads the trailing share of a task's train set: sharing must not have trained on it.
      if (
        w !== undefined &&
        Array.isArray(w.tasks) &&
        w.tasks.includes(s3.scoring.task) &&
        w.trainFraction + s3.scoring.heldOutFraction > 1
      ) {
        fail(
          'stage3.scoring.heldOutFraction',
          'must not overlap stage3.weightSharing.trainFraction (sum <= 1)',
          s3.scoring.heldOutFraction,
        );
      }
    }
  }

  const f = plan.final;
  if (f === undefined) fail('final', 'is required', undefined);
  else {
    schedule('final', f);
    tasks('final.tasks', f.tasks);
  }
  return errors;
}
