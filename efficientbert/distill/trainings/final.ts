/** The final training of the winner and its dev scores (spec §3). */
import type { Prng } from '../../core/prng';
import type { Batch } from '../../data/batching';
import type { StudentModel } from '../../model/student-model';
import type { MethodSettings } from '../../search/plan/method';
import type { Architecture } from '../../space/ast';
import { kdStepLoss } from '../kd-step';
import type { Phase } from '../phases';
import type { TeacherSet } from '../teacher-set';
import {
  encode,
  examplesOf,
  mixture,
  phase,
  shuffled,
  studentLogits,
  type TaskBatchItem,
  type TaskData,
  taskScore,
} from './common';

/** KD pre-training on the tasks' train text, then KD fine-tuning per task, best dev kept. */
export function finalPhases(
  model: StudentModel,
  arch: Architecture,
  teachers: TeacherSet,
  method: MethodSettings,
  data: TaskData,
  rng: Prng,
): Phase[] {
  const f = method.final;
  const train = Object.fromEntries(f.tasks.map((t) => [t, encode(data, t, examplesOf(data, t, 'train'))]));
  const seeds = { pretrain: rng.nextUint32(), finetune: f.tasks.map(() => rng.nextUint32()) };
  const phases: Phase[] = [
    phase('final-pretrain-kd', {
      params: model.params,
      loss: (batch: TaskBatchItem, ctx) => kdStepLoss(model, arch, teachers, batch, ctx),
      openData: mixture(train, f.batchSize, seeds.pretrain),
      totalSteps: f.pretrainSteps,
      peakLr: f.pretrainLearningRate,
      seed: seeds.pretrain,
      dropoutRate: model.config.dropout,
    }),
  ];
  f.tasks.forEach((task, i) => {
    const dev = encode(data, task, examplesOf(data, task, 'dev'));
    phases.push(
      phase(`final-finetune-kd-${task}`, {
        params: model.params,
        loss: (batch: Batch, ctx) => kdStepLoss(model, arch, teachers, batch, ctx, task),
        openData: shuffled(train[task]!, f.batchSize, seeds.finetune[i]!),
        totalSteps: f.finetuneSteps,
        peakLr: f.finetuneLearningRate,
        seed: seeds.finetune[i]!,
        dropoutRate: model.config.dropout,
        // Spec §3: checkpoints are selected on dev.
        evaluate: {
          everySteps: Math.max(1, Math.ceil(f.finetuneSteps / 4)),
          run: () => taskScore(data.tasks, task, dev, studentLogits(model, arch, task)).score,
        },
      }),
    );
  });
  return phases;
}

/** Dev metrics of the final model, per task (`<task>.<metric>`), and the first task's primary score. */
export function finalScores(model: StudentModel, arch: Architecture, method: MethodSettings, data: TaskData) {
  const metrics: Record<string, number> = {};
  let reward = 0;
  method.final.tasks.forEach((task, i) => {
    const dev = encode(data, task, examplesOf(data, task, 'dev'));
    const r = taskScore(data.tasks, task, dev, studentLogits(model, arch, task));
    for (const [k, v] of Object.entries(r.metrics)) metrics[`${task}.${k}`] = v;
    if (i === 0) reward = r.score;
  });
  return { reward, metrics };
}
