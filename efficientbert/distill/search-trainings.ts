/**
 * The trainings of an EfficientBERT search (spec §4), as phases over loaded models and data:
 *   - warm-up: the teacher (fine-tuned from scratch when none is given), then KD pre-training and
 *     KD fine-tuning of the supernet, its largest member (every layer 4 stacked full-width GELU FFNs);
 *   - proxy (stages 1-2): a candidate sliced out of the warm-up supernet, KD pre-training and KD
 *     fine-tuning on the leading share of the task's train set; reward on the trailing held-out share;
 *   - sharing (stage 3): the supernet trained with one uniformly drawn sub-network per step (sizes
 *     only, expressions frozen to stage 2's winner), KD pre-training then multi-task KD fine-tuning;
 *   - shared scoring (stage 3): a candidate scored on the shared weights, no training;
 *   - final: the winner sliced out of the shared supernet, KD pre-training then KD fine-tuning per
 *     task, the best dev checkpoint kept.
 * Data splits never overlap what a reward is measured on (validated by the plan's fractions).
 */
import * as path from 'node:path';
import type { Prng } from '../core/prng';
import {
  type Batch,
  BatchIterator,
  type BatchIteratorState,
  type EncodedDataset,
  encodeDataset,
  sequentialBatches,
  splitLast,
  TaskMixtureIterator,
  type TaskMixtureState,
  takeFirst,
} from '../data/batching';
import type { Example } from '../data/glue';
import { computeMetrics } from '../data/metrics';
import type { TaskCatalog } from '../data/tasks';
import type { WordPieceTokenizer } from '../data/tokenizer';
import { classificationHead, regressionHead, type TaskHead } from '../model/heads';
import { noDropout } from '../model/layers';
import type { StudentModel } from '../model/student-model';
import type { Teacher } from '../model/teacher';
import type { TeacherConfig } from '../model/teacher-config';
import type { MethodSettings } from '../search/plan/presets';
import type { Architecture } from '../space/ast';
import { parseArchitecture } from '../space/parse';
import type { StudentConfig } from '../space/presets';
import { type ParamBudget, sampleArchitecture, stage3Plan } from '../space/sample';
import { kdStepLoss, type LabeledBatch, teacherSupervisedLoss } from './kd-step';
import type { Phase } from './phases';
import { collectPredictions } from './predict';
import { type TrainOptions, train } from './trainer';

/** The tasks (GLUE and the user's), the tokenizer, and how long sequences get. */
export interface TaskData {
  readonly tasks: TaskCatalog;
  readonly tokenizer: WordPieceTokenizer;
  readonly maxSeq: number;
}

const EVAL_BATCH = 128;
/** Length bucketing keeps padding low: GLUE sentences are short and varied. */
const BUCKET_CHUNK_BATCHES = 50;

export function examplesOf(data: TaskData, task: string, split: 'train' | 'dev'): readonly Example[] {
  return data.tasks.examples(task, split);
}

export function encode(data: TaskData, task: string, examples: readonly Example[]): EncodedDataset {
  return encodeDataset(examples, data.tokenizer, {
    kind: data.tasks.definition(task).kind,
    maxSeq: data.maxSeq,
  });
}

/** The heads a search's models carry: one per task any training or score uses, sorted. */
export function headsFor(method: MethodSettings, catalog: TaskCatalog): TaskHead[] {
  const tasks = new Set([
    method.warmup.task,
    method.proxy.task,
    ...method.weightSharing.tasks,
    method.scoring.task,
    ...method.final.tasks,
  ]);
  return [...tasks].sort().map((task) => {
    const t = catalog.definition(task);
    return t.kind === 'regression' ? regressionHead(task) : classificationHead(task, t.labels.length);
  });
}

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

type Batches<B> = TrainOptions<B & { batchSize: number }>['openData'];

function shuffled(ds: EncodedDataset, batchSize: number, seed: number): Batches<Batch> {
  return (state) =>
    new BatchIterator(
      ds,
      { batchSize, bucketChunkBatches: BUCKET_CHUNK_BATCHES },
      (state as BatchIteratorState | null) ?? { seed },
    );
}

interface TaskBatchItem extends LabeledBatch {
  readonly batchSize: number;
  readonly task: string;
}

function mixture(
  tasks: Readonly<Record<string, EncodedDataset>>,
  batchSize: number,
  seed: number,
): Batches<TaskBatchItem> {
  return (state) => {
    const it = new TaskMixtureIterator(
      Object.fromEntries(
        Object.entries(tasks).map(([t, dataset]) => [
          t,
          { dataset, options: { batchSize, bucketChunkBatches: BUCKET_CHUNK_BATCHES } },
        ]),
      ),
      (state as TaskMixtureState | null) ?? { seed },
    );
    return {
      next: () => {
        const { task, batch } = it.next();
        return { ...batch, task };
      },
      state: () => it.state(),
    };
  };
}

/** One phase of `train()`; the chunking (checkpoint dir, stop step) comes from runPhases. */
function phase<B extends { batchSize: number }>(
  name: string,
  options: Omit<TrainOptions<B>, 'checkpoint' | 'stopAfterStep'>,
  finish?: () => Promise<void>,
): Phase {
  return {
    name,
    steps: options.totalSteps,
    run: (dir, stopAfterStep) =>
      train({
        ...options,
        // Checkpoints are written at each chunk's stop only; runPhases picks the stops.
        checkpoint: { dir, everySteps: options.totalSteps + 1 },
        stopAfterStep,
      }),
    ...(finish ? { finish } : {}),
  };
}

/** The primary metric of `task` (accuracy, Pearson, MCC...) of `logits` over `ds`. */
export function taskScore(
  tasks: TaskCatalog,
  task: string,
  ds: EncodedDataset,
  logits: Parameters<typeof collectPredictions>[1],
): { score: number; metrics: Record<string, number> } {
  const { predictions, labels } = collectPredictions(sequentialBatches(ds, EVAL_BATCH), logits);
  const names = tasks.definition(task).metrics;
  const metrics = computeMetrics(names, predictions, labels) as Record<string, number>;
  const score = metrics[names[0]!]!;
  return { score: Number.isFinite(score) ? score : 0, metrics };
}

function studentLogits(model: StudentModel, arch: Architecture, task: string) {
  return (x: Parameters<Parameters<typeof collectPredictions>[1]>[0]) =>
    model.logits(task, model.forward(arch, x, noDropout), noDropout);
}

// -------------------------------------------------------------------------------------------------
// Warm-up

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

// -------------------------------------------------------------------------------------------------
// Proxy (stages 1-2)

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
  teacher: Teacher,
  method: MethodSettings,
  ds: ProxyData,
  rng: Prng,
): Phase[] {
  const p = method.proxy;
  const seeds = { pretrain: rng.nextUint32(), finetune: rng.nextUint32() };
  return [
    phase('pretrain-kd', {
      params: candidate.params,
      loss: (batch: Batch, ctx) => kdStepLoss(candidate, arch, teacher, batch, ctx),
      openData: shuffled(ds.train, p.batchSize, seeds.pretrain),
      totalSteps: p.pretrainSteps,
      peakLr: p.pretrainLearningRate,
      seed: seeds.pretrain,
      dropoutRate: candidate.config.dropout,
    }),
    phase('finetune-kd', {
      params: candidate.params,
      loss: (batch: Batch, ctx) => kdStepLoss(candidate, arch, teacher, batch, ctx, p.task),
      openData: shuffled(ds.train, p.batchSize, seeds.finetune),
      totalSteps: p.finetuneSteps,
      peakLr: p.finetuneLearningRate,
      seed: seeds.finetune,
      dropoutRate: candidate.config.dropout,
    }),
  ];
}

/** The proxy reward: the primary metric on the held-out share (spec §4.2 step 4). */
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

// -------------------------------------------------------------------------------------------------
// Stage 3: weight sharing and shared scoring

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
  teacher: Teacher,
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
      loss: (batch: TaskBatchItem, ctx) => kdStepLoss(supernet, drawSubnetwork(ctx.rng), teacher, batch, ctx),
      openData: mixture(perTask, w.batchSize, seeds.pretrain),
      totalSteps: w.pretrainSteps,
      peakLr: w.pretrainLearningRate,
      seed: seeds.pretrain,
      dropoutRate: supernet.config.dropout,
    }),
    phase('sharing-finetune-kd', {
      params: supernet.params,
      loss: (batch: TaskBatchItem, ctx) =>
        kdStepLoss(supernet, drawSubnetwork(ctx.rng), teacher, batch, ctx, batch.task),
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

// -------------------------------------------------------------------------------------------------
// Final training of the winner

/** KD pre-training on the tasks' train text, then KD fine-tuning per task, best dev kept. */
export function finalPhases(
  model: StudentModel,
  arch: Architecture,
  teacher: Teacher,
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
      loss: (batch: TaskBatchItem, ctx) => kdStepLoss(model, arch, teacher, batch, ctx),
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
        loss: (batch: Batch, ctx) => kdStepLoss(model, arch, teacher, batch, ctx, task),
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

export function tokenizerDirOf(dataDir: string): string {
  return path.join(dataDir, 'bert-base-uncased');
}
