/**
 * The trainings of an EfficientBERT search (spec §4), one module each, as phases over loaded
 * models and data:
 *   - warmup.ts: the teacher (fine-tuned from scratch when none is given), then KD pre-training
 *     and KD fine-tuning of the supernet, its largest member (every layer 4 stacked full-width
 *     GELU FFNs);
 *   - proxy.ts (stages 1-2): a candidate sliced out of the warm-up supernet, KD pre-training and KD
 *     fine-tuning on the leading share of the task's train set; reward on the trailing held-out share;
 *   - sharing.ts (stage 3): the supernet trained with one uniformly drawn sub-network per step
 *     (sizes only, expressions frozen to stage 2's winner), KD pre-training then multi-task KD
 *     fine-tuning; and the shared scoring of a candidate on those weights, no training;
 *   - final.ts: the winner sliced out of the shared supernet, KD pre-training then KD fine-tuning
 *     per task, the best dev checkpoint kept.
 * This module holds what they share: data, batching, one phase of train(), scoring.
 * Data splits never overlap what a reward is measured on (validated by the plan's fractions).
 */
import * as path from 'node:path';
import {
  type Batch,
  BatchIterator,
  type BatchIteratorState,
  type EncodedDataset,
  encodeDataset,
  sequentialBatches,
  TaskMixtureIterator,
  type TaskMixtureState,
} from '../../data/batching';
import type { Example } from '../../data/glue';
import { computeMetrics } from '../../data/metrics';
import type { TaskCatalog } from '../../data/tasks';
import type { WordPieceTokenizer } from '../../data/tokenizer';
import { classificationHead, regressionHead, type TaskHead } from '../../model/heads';
import { noDropout } from '../../model/layers';
import type { StudentModel } from '../../model/student-model';
import type { MethodSettings } from '../../search/plan/method';
import type { Architecture } from '../../space/ast';
import type { LabeledBatch } from '../kd-step';
import type { Phase } from '../phases';
import { collectPredictions } from '../predict';
import { type TrainOptions, train } from '../trainer';

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

export type Batches<B> = TrainOptions<B & { batchSize: number }>['openData'];

export function shuffled(ds: EncodedDataset, batchSize: number, seed: number): Batches<Batch> {
  return (state) =>
    new BatchIterator(
      ds,
      { batchSize, bucketChunkBatches: BUCKET_CHUNK_BATCHES },
      (state as BatchIteratorState | null) ?? { seed },
    );
}

export interface TaskBatchItem extends LabeledBatch {
  readonly batchSize: number;
  readonly task: string;
}

export function mixture(
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
export function phase<B extends { batchSize: number }>(
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

export function studentLogits(model: StudentModel, arch: Architecture, task: string) {
  return (x: Parameters<Parameters<typeof collectPredictions>[1]>[0]) =>
    model.logits(task, model.forward(arch, x, noDropout), noDropout);
}

export function tokenizerDirOf(dataDir: string): string {
  return path.join(dataDir, 'bert-base-uncased');
}
