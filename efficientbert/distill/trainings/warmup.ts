/** The warm-up: the teacher when the search names none, then the supernet distilled from it. */
import type { Prng } from '../../core/prng';
import { type Batch, splitLast, takeFirst } from '../../data/batching';
import type { TaskCatalog } from '../../data/tasks';
import type { StudentModel } from '../../model/student-model';
import type { Teacher } from '../../model/teacher';
import type { TeacherConfig } from '../../model/teacher-config';
import type { MethodSettings } from '../../search/plan/method';
import type { Architecture } from '../../space/ast';
import { parseArchitecture } from '../../space/parse';
import type { StudentConfig } from '../../space/presets';
import { kdStepLoss, teacherSupervisedLoss } from '../kd-step';
import type { Phase } from '../phases';
import { encode, examplesOf, phase, shuffled, type TaskData } from './common';

/** A BERT teacher for `task`, `hidden` wide (the preset's teacherHidden), FFN 4x as in BERT. */
export function teacherConfigFor(
  method: MethodSettings,
  tasks: TaskCatalog,
  vocabSize: number,
  hidden: number,
  maxPositions: number,
): TeacherConfig {
  const task = tasks.definition(method.warmup.task);
  return {
    vocabSize,
    hidden,
    layers: method.warmup.teacher.layers,
    heads: method.warmup.teacher.heads,
    intermediate: 4 * hidden,
    // The tanh GELU: exact erf is several times slower on the wasm backend and no more accurate here.
    hiddenAct: 'gelu_new',
    maxPositions,
    typeVocab: 2,
    layerNormEps: 1e-12,
    dropout: 0.1,
    numLabels: task.kind === 'regression' ? 1 : task.labels.length,
  };
}

/** The supernet's own architecture: every layer the largest plain GELU FFN (spec §4.1). */
export function supernetArchitecture(config: StudentConfig): Architecture {
  const largest = `linear${config.maxStack}_1(gelu(linear${config.maxStack}_1(x,wb1)),wb2)`;
  return parseArchitecture(Array.from({ length: config.layers }, () => largest).join(', '));
}

export interface WarmupModels {
  /** Present when the teacher is trained here (no teacher given to the search). */
  readonly teacherToTrain?: Teacher;
  readonly teacher: Teacher;
  readonly supernet: StudentModel;
}

/** The warm-up's phases; `storeTeacher` runs once the teacher is final, before the supernet trains. */
export function warmupPhases(
  models: WarmupModels,
  method: MethodSettings,
  data: TaskData,
  rng: Prng,
  storeTeacher: () => Promise<void>,
): Phase[] {
  const w = method.warmup;
  const heldOut = Math.max(method.proxy.heldOutFraction, method.scoring.heldOutFraction);
  const trainPart = takeFirst(splitLast(examplesOf(data, w.task, 'train'), heldOut).kept, w.trainFraction);
  const ds = encode(data, w.task, trainPart);
  const arch = supernetArchitecture(models.supernet.config);
  const { teacher, supernet } = models;
  const phases: Phase[] = [];
  const seeds = { teacher: rng.nextUint32(), pretrain: rng.nextUint32(), finetune: rng.nextUint32() };
  if (models.teacherToTrain) {
    phases.push(
      phase(
        'teacher',
        {
          params: teacher.params,
          loss: (batch: Batch, ctx) => teacherSupervisedLoss(teacher, batch, ctx),
          openData: shuffled(ds, w.batchSize, seeds.teacher),
          totalSteps: w.teacher.steps,
          peakLr: w.teacher.learningRate,
          seed: seeds.teacher,
          dropoutRate: teacher.config.dropout,
        },
        storeTeacher,
      ),
    );
  }
  phases.push(
    phase('supernet-pretrain-kd', {
      params: supernet.params,
      loss: (batch: Batch, ctx) => kdStepLoss(supernet, arch, teacher, batch, ctx),
      openData: shuffled(ds, w.batchSize, seeds.pretrain),
      totalSteps: w.pretrainSteps,
      peakLr: w.pretrainLearningRate,
      seed: seeds.pretrain,
      dropoutRate: supernet.config.dropout,
    }),
    phase('supernet-finetune-kd', {
      params: supernet.params,
      loss: (batch: Batch, ctx) => kdStepLoss(supernet, arch, teacher, batch, ctx, w.task),
      openData: shuffled(ds, w.batchSize, seeds.finetune),
      totalSteps: w.finetuneSteps,
      peakLr: w.finetuneLearningRate,
      seed: seeds.finetune,
      dropoutRate: supernet.config.dropout,
    }),
  );
  return phases;
}
