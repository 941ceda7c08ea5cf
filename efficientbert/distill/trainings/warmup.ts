/**
 * The warm-up: the search's teachers (the general one trained from scratch when the search names
 * none, and one fine-tuned per task from it), then the supernet distilled from them.
 */
import type { Prng } from '../../core/prng';
import { type Batch, splitLast, takeFirst } from '../../data/batching';
import type { TaskCatalog } from '../../data/tasks';
import type { StudentModel } from '../../model/student-model';
import { copyEncoder, Teacher } from '../../model/teacher';
import type { TeacherConfig } from '../../model/teacher-config';
import type { MethodSettings } from '../../search/plan/method';
import type { Architecture } from '../../space/ast';
import { parseArchitecture } from '../../space/parse';
import type { StudentConfig } from '../../space/presets';
import { kdStepLoss, teacherSupervisedLoss } from '../kd-step';
import type { Phase } from '../phases';
import { kdTasksOf, type TeacherSet, teacherOutputsFor, teacherSet } from '../teacher-set';
import {
  type Batches,
  encode,
  examplesOf,
  mixture,
  phase,
  shuffled,
  type TaskBatchItem,
  type TaskData,
} from './common';

/** A BERT teacher for `task`, `hidden` wide (the preset's teacherHidden), FFN 4x as in BERT. */
export function teacherConfigFor(
  method: MethodSettings,
  tasks: TaskCatalog,
  vocabSize: number,
  hidden: number,
  maxPositions: number,
): TeacherConfig {
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
    numLabels: teacherOutputsFor(tasks, method.warmup.task),
  };
}

/** The supernet's own architecture: every layer the largest plain GELU FFN (spec §4.1). */
export function supernetArchitecture(config: StudentConfig): Architecture {
  const largest = `linear${config.maxStack}_1(gelu(linear${config.maxStack}_1(x,wb1)),wb2)`;
  return parseArchitecture(Array.from({ length: config.layers }, () => largest).join(', '));
}

export interface WarmupTeachers {
  /** Pre-training KD's teacher, and the encoder every task teacher trained here starts from. */
  readonly general: Teacher;
  /** Whether `general` is trained here, from scratch on the warm-up task (the search gave none). */
  readonly trainGeneral: boolean;
  /** The task teachers this warm-up fine-tunes, by task, in task order. */
  readonly toFineTune: ReadonlyMap<string, Teacher>;
  /** Every task's teacher: given, fine-tuned here, or the general one where it serves its task. */
  readonly set: TeacherSet;
}

/**
 * Which teachers the warm-up has and which it trains. The general teacher serves the warm-up
 * task itself when it was trained on it here, or when it came alone with a head that task fits
 * (a fine-tuned teacher for a single-task search); every other task the trainings fine-tune on
 * gets its own teacher unless the given set has one. A task teacher starts from the general
 * encoder: now when that is given, after its own phase when it is trained here.
 */
export function warmupTeachers(options: {
  readonly general: Teacher;
  readonly trainGeneral: boolean;
  /** Task teachers of a given teacher set; absent for a single given teacher or none. */
  readonly given?: ReadonlyMap<string, Teacher>;
  readonly method: MethodSettings;
  readonly data: TaskData;
  readonly rng: Prng;
}): WarmupTeachers {
  const { general, trainGeneral, method, data, rng } = options;
  const perTask = new Map(options.given ?? []);
  const task = method.warmup.task;
  const servesWarmupTask = general.config.numLabels === teacherOutputsFor(data.tasks, task);
  if (trainGeneral || (options.given === undefined && servesWarmupTask)) perTask.set(task, general);
  const toFineTune = new Map<string, Teacher>();
  for (const t of kdTasksOf(method)) {
    if (perTask.has(t)) continue;
    const teacher = Teacher.random(
      { ...general.config, numLabels: teacherOutputsFor(data.tasks, t) },
      rng.fork(),
    );
    if (!trainGeneral) copyEncoder(general, teacher);
    toFineTune.set(t, teacher);
    perTask.set(t, teacher);
  }
  return { general, trainGeneral, toFineTune, set: teacherSet(general, perTask, data.tasks) };
}

/** Runs when a teacher is final, before anything distils from it: `task` undefined is the general one. */
export type TeacherDone = (task: string | undefined) => Promise<void>;

/**
 * The warm-up's phases: the general teacher (when trained here), each task teacher, then the
 * supernet's general KD (pre-training KD from the general teacher over all the tasks' text, each
 * task in proportion to its size) and, when the plan asks, KD fine-tuning on the warm-up task
 * with its own teacher. Everything trains on the leading share of each task's train set, never
 * the held-out tail a reward is measured on.
 */
export function warmupPhases(
  teachers: WarmupTeachers,
  supernet: StudentModel,
  method: MethodSettings,
  data: TaskData,
  rng: Prng,
  teacherDone: TeacherDone,
): Phase[] {
  const w = method.warmup;
  const heldOut = Math.max(method.proxy.heldOutFraction, method.scoring.heldOutFraction);
  const trainShare = (task: string) =>
    encode(data, task, takeFirst(splitLast(examplesOf(data, task, 'train'), heldOut).kept, w.trainFraction));
  const shares = new Map(kdTasksOf(method).map((task) => [task, trainShare(task)]));
  const arch = supernetArchitecture(supernet.config);
  const seeds = { teacher: rng.nextUint32(), pretrain: rng.nextUint32(), finetune: rng.nextUint32() };
  const supervised = (
    name: string,
    teacher: Teacher,
    batches: Batches<Batch>,
    seed: number,
    done: () => Promise<void>,
    peakLr: number,
  ) =>
    phase(
      name,
      {
        params: teacher.params,
        loss: (batch: Batch, ctx) => teacherSupervisedLoss(teacher, batch, ctx),
        openData: batches,
        totalSteps: w.teacher.steps,
        peakLr,
        seed,
        dropoutRate: teacher.config.dropout,
      },
      done,
    );
  const phases: Phase[] = [];
  if (teachers.trainGeneral) {
    phases.push(
      supervised(
        'teacher',
        teachers.general,
        shuffled(shares.get(w.task)!, w.batchSize, seeds.teacher),
        seeds.teacher,
        () => teacherDone(undefined),
        w.teacher.learningRate,
      ),
    );
  }
  // A task teacher starts from a trained-here toy encoder (the from-scratch rate) or a given,
  // pre-trained one (the fine-tuning rate).
  const taskLr = teachers.trainGeneral ? w.teacher.learningRate : w.teacher.finetuneLearningRate;
  for (const [task, teacher] of teachers.toFineTune) {
    const seed = rng.nextUint32();
    phases.push(
      supervised(
        `teacher-${task}`,
        teacher,
        shuffled(shares.get(task)!, w.batchSize, seed),
        seed,
        () => teacherDone(task),
        taskLr,
      ),
    );
  }
  phases.push(
    phase('supernet-general-kd', {
      params: supernet.params,
      loss: (batch: TaskBatchItem, ctx) => kdStepLoss(supernet, arch, teachers.set, batch, ctx),
      openData: mixture(Object.fromEntries(shares), w.batchSize, seeds.pretrain),
      totalSteps: w.pretrainSteps,
      peakLr: w.pretrainLearningRate,
      seed: seeds.pretrain,
      dropoutRate: supernet.config.dropout,
    }),
  );
  if (w.taskFinetune) {
    phases.push(
      phase('supernet-finetune-kd', {
        params: supernet.params,
        loss: (batch: Batch, ctx) => kdStepLoss(supernet, arch, teachers.set, batch, ctx, w.task),
        openData: shuffled(shares.get(w.task)!, w.batchSize, seeds.finetune),
        totalSteps: w.finetuneSteps,
        peakLr: w.finetuneLearningRate,
        seed: seeds.finetune,
        dropoutRate: supernet.config.dropout,
      }),
    );
  }
  return phases;
}
