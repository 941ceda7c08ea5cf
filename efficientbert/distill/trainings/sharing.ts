/** Stage 3: the weight-sharing supernet's training and the shared scoring of candidates (spec §4.4). */
import type { Prng } from '../../core/prng';
import { splitLast, takeFirst } from '../../data/batching';
import type { StudentModel } from '../../model/student-model';
import type { MethodSettings } from '../../search/plan/method';
import type { Architecture } from '../../space/ast';
import type { StudentConfig } from '../../space/presets';
import { type ParamBudget, sampleArchitecture, stage3Plan } from '../../space/sample';
import { kdStepLoss } from '../kd-step';
import type { Phase } from '../phases';
import type { TeacherSet } from '../teacher-set';
import {
  encode,
  examplesOf,
  mixture,
  phase,
  studentLogits,
  type TaskBatchItem,
  type TaskData,
  taskScore,
} from './common';

/** A uniform draw of stage 3's sub-networks: per layer, any size that keeps the expression valid. */
export function subnetworkSampler(
  config: StudentConfig,
  base: Architecture,
  budget?: ParamBudget,
): (rng: Prng) => Architecture {
  const plan = stage3Plan(base, budget);
  return (rng) => sampleArchitecture(rng, config, plan);
}

export function sharingPhases(
  supernet: StudentModel,
  teachers: TeacherSet,
  drawSubnetwork: (rng: Prng) => Architecture,
  method: MethodSettings,
  data: TaskData,
  rng: Prng,
): Phase[] {
  const w = method.weightSharing;
  const perTask = Object.fromEntries(
    w.tasks.map((t) => [t, encode(data, t, takeFirst(examplesOf(data, t, 'train'), w.trainFraction))]),
  );
  const seeds = { pretrain: rng.nextUint32(), finetune: rng.nextUint32() };
  return [
    phase('sharing-pretrain-kd', {
      params: supernet.params,
      loss: (batch: TaskBatchItem, ctx) =>
        kdStepLoss(supernet, drawSubnetwork(ctx.rng), teachers, batch, ctx),
      openData: mixture(perTask, w.batchSize, seeds.pretrain),
      totalSteps: w.pretrainSteps,
      peakLr: w.pretrainLearningRate,
      seed: seeds.pretrain,
      dropoutRate: supernet.config.dropout,
    }),
    phase('sharing-finetune-kd', {
      params: supernet.params,
      loss: (batch: TaskBatchItem, ctx) =>
        kdStepLoss(supernet, drawSubnetwork(ctx.rng), teachers, batch, ctx, batch.task),
      openData: mixture(perTask, w.batchSize, seeds.finetune),
      totalSteps: w.finetuneSteps,
      peakLr: w.finetuneLearningRate,
      seed: seeds.finetune,
      dropoutRate: supernet.config.dropout,
    }),
  ];
}

/** Stage 3's score of a candidate: the shared weights, no training (spec §4.4(c)). */
export function sharedScore(
  supernet: StudentModel,
  arch: Architecture,
  method: MethodSettings,
  data: TaskData,
) {
  const s = method.scoring;
  const heldOut = encode(
    data,
    s.task,
    splitLast(examplesOf(data, s.task, 'train'), s.heldOutFraction).heldOut,
  );
  return taskScore(data.tasks, s.task, heldOut, studentLogits(supernet, arch, s.task));
}
