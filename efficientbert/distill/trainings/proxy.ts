/** The proxy training of stages 1-2 and its reward on the held-out share (spec §4.2). */
import type { Prng } from '../../core/prng';
import { type Batch, type EncodedDataset, splitLast, takeFirst } from '../../data/batching';
import type { TaskCatalog } from '../../data/tasks';
import type { StudentModel } from '../../model/student-model';
import type { MethodSettings } from '../../search/plan/method';
import type { Architecture } from '../../space/ast';
import { kdStepLoss } from '../kd-step';
import type { Phase } from '../phases';
import type { TeacherSet } from '../teacher-set';
import { encode, examplesOf, phase, shuffled, studentLogits, type TaskData, taskScore } from './common';

export interface ProxyData {
  readonly tasks: TaskCatalog;
  readonly train: EncodedDataset;
  readonly heldOut: EncodedDataset;
}

export function proxyData(method: MethodSettings, data: TaskData): ProxyData {
  const p = method.proxy;
  const all = examplesOf(data, p.task, 'train');
  return {
    tasks: data.tasks,
    train: encode(data, p.task, takeFirst(all, p.trainFraction)),
    heldOut: encode(data, p.task, splitLast(all, p.heldOutFraction).heldOut),
  };
}

export function proxyPhases(
  candidate: StudentModel,
  arch: Architecture,
  teachers: TeacherSet,
  method: MethodSettings,
  ds: ProxyData,
  rng: Prng,
  /** Each held-out scoring during the fine-tune, with all its metrics. */
  onScored: (score: ProxyScore) => void = () => {},
): Phase[] {
  const p = method.proxy;
  const seeds = { pretrain: rng.nextUint32(), finetune: rng.nextUint32() };
  return [
    phase('pretrain-kd', {
      params: candidate.params,
      loss: (batch: Batch, ctx) => kdStepLoss(candidate, arch, teachers, batch, ctx),
      openData: shuffled(ds.train, p.batchSize, seeds.pretrain),
      totalSteps: p.pretrainSteps,
      peakLr: p.pretrainLearningRate,
      seed: seeds.pretrain,
      dropoutRate: candidate.config.dropout,
    }),
    phase('finetune-kd', {
      params: candidate.params,
      loss: (batch: Batch, ctx) => kdStepLoss(candidate, arch, teachers, batch, ctx, p.task),
      openData: shuffled(ds.train, p.batchSize, seeds.finetune),
      totalSteps: p.finetuneSteps,
      peakLr: p.finetuneLearningRate,
      seed: seeds.finetune,
      dropoutRate: candidate.config.dropout,
      // Spec §4.2 step 4: the reward is the best held-out score measured at the end of each epoch
      // (train() keeps the best weights, so proxyReward afterwards scores them).
      evaluate: {
        everySteps: Math.max(1, Math.ceil(ds.train.size / p.batchSize)),
        run: () => {
          const score = proxyReward(candidate, arch, method, ds);
          onScored(score);
          return score.score;
        },
      },
    }),
  ];
}

export type ProxyScore = ReturnType<typeof taskScore>;

/** The primary metric on the held-out share: after the proxy training, the best epoch's (spec §4.2 step 4). */
export function proxyReward(
  candidate: StudentModel,
  arch: Architecture,
  method: MethodSettings,
  ds: ProxyData,
) {
  return taskScore(
    ds.tasks,
    method.proxy.task,
    ds.heldOut,
    studentLogits(candidate, arch, method.proxy.task),
  );
}
