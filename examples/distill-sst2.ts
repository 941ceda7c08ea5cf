/**
 * End-to-end EfficientBERT distillation on SST-2, small enough for a 2-core CPU:
 *   1. build a small random BERT teacher in Hugging Face layout (config.json + model.safetensors +
 *      tokenizer), load it back through the real import path and fine-tune it on SST-2;
 *   2. distill a student architecture (default: the published EfficientBERT expressions at the
 *      `small` preset) with pre-training KD (attention + hidden) then fine-tuning KD (+ soft
 *      cross-entropy), keeping the best dev checkpoint;
 *   3. print dev accuracies and wall times as one JSON line.
 * Everything is seeded: the same --seed gives the same numbers bit for bit.
 *
 *   node --import tsx examples/distill-sst2.ts [--seed 42] [--out DIR] [--teacher-steps N] ...
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Prng } from '../efficientbert/core/prng';
import type { EncodedDataset } from '../efficientbert/data/batching';
import {
  type Batch,
  BatchIterator,
  type BatchIteratorState,
  encodeDataset,
  sequentialBatches,
} from '../efficientbert/data/batching';
import { readGlueSplit } from '../efficientbert/data/glue';
import { accuracy } from '../efficientbert/data/metrics';
import { WordPieceTokenizer } from '../efficientbert/data/tokenizer';
import { kdStepLoss, teacherSupervisedLoss } from '../efficientbert/distill/kd-step';
import { collectPredictions } from '../efficientbert/distill/predict';
import { singleTaskTeachers } from '../efficientbert/distill/teacher-set';
import { type Progress, train } from '../efficientbert/distill/trainer';
import { selectBackend } from '../efficientbert/model/backend';
import { classificationHead } from '../efficientbert/model/heads';
import { noDropout } from '../efficientbert/model/layers';
import { publishedArchitecture } from '../efficientbert/model/published-arch';
import { StudentModel } from '../efficientbert/model/student-model';
import { loadTeacher, saveTeacher, Teacher } from '../efficientbert/model/teacher';
import type { TeacherConfig } from '../efficientbert/model/teacher-config';
import { PRESETS } from '../efficientbert/space/presets';

const SHARED = path.resolve(__dirname, '../../shared/data');
const TASK = 'sst2';

const USAGE = `usage: node --import tsx examples/distill-sst2.ts [--seed N] [--out DIR] [--backend wasm|cpu|tensorflow]
  [--max-seq N] [--batch N] [--teacher-steps N] [--teacher-lr X] [--pretrain-steps N] [--finetune-steps N]
  [--student-lr X] [--eval-every N]`;

function parseOptions() {
  try {
    return parseArgs({
      options: {
        seed: { type: 'string', default: '42' },
        out: { type: 'string', default: '.efficientbert/examples/distill-sst2' },
        backend: { type: 'string' },
        'max-seq': { type: 'string', default: '64' },
        batch: { type: 'string', default: '32' },
        'teacher-steps': { type: 'string', default: '2000' },
        'teacher-lr': { type: 'string', default: '1e-3' },
        'pretrain-steps': { type: 'string', default: '400' },
        'finetune-steps': { type: 'string', default: '2000' },
        'student-lr': { type: 'string', default: '1e-3' },
        'eval-every': { type: 'string', default: '500' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

const args = parseOptions();
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const num = (k: Exclude<keyof typeof args, 'help'>): number => {
  const value = Number(args[k]);
  if (k !== 'backend' && k !== 'out' && !(Number.isFinite(value) && value > 0)) {
    console.error(`--${k} must be a positive number, got '${args[k]}'\n${USAGE}`);
    process.exit(2);
  }
  return value;
};

function log(line: string): void {
  console.error(`[distill-sst2 ${new Date().toISOString().slice(11, 19)}] ${line}`);
}

function progress(phase: string): (p: Progress) => void {
  return (p) =>
    log(
      `${phase} step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(4)} lr ${p.lr.toExponential(2)} ${p.examplesPerSec.toFixed(0)} ex/s`,
    );
}

function batches(ds: EncodedDataset, seed: number) {
  // Length bucketing keeps padding (and so compute) low: SST-2 phrases are short and varied.
  return (state: unknown) =>
    new BatchIterator(
      ds,
      { batchSize: num('batch'), bucketChunkBatches: 50 },
      (state as BatchIteratorState | null) ?? { seed },
    );
}

async function main(): Promise<void> {
  const started = performance.now();
  const seed = num('seed');
  const rng = Prng.fromSeed(seed);
  const backend = await selectBackend(args.backend);
  const tokenizer = WordPieceTokenizer.fromDirectory(path.join(SHARED, 'bert-base-uncased'));
  const maxSeq = num('max-seq');
  const trainDs = encodeDataset(readGlueSplit(path.join(SHARED, 'glue'), TASK, 'train'), tokenizer, {
    kind: 'classification',
    maxSeq,
  });
  const devDs = encodeDataset(readGlueSplit(path.join(SHARED, 'glue'), TASK, 'dev'), tokenizer, {
    kind: 'classification',
    maxSeq,
  });
  const devAccuracy = (logits: Parameters<typeof collectPredictions>[1]) => {
    const { predictions, labels } = collectPredictions(sequentialBatches(devDs, 128), logits);
    return accuracy(predictions, labels);
  };
  const logged = (phase: string, run: () => number) => () => {
    const score = run();
    log(`${phase} dev accuracy ${(score * 100).toFixed(2)}%`);
    return score;
  };
  log(`data: ${trainDs.size} train / ${devDs.size} dev examples, backend ${backend.name}`);

  // 1. Teacher: random BERT in HF layout → load through the importer → supervised fine-tuning.
  const teacherConfig: TeacherConfig = {
    vocabSize: tokenizer.vocabSize,
    hidden: 128,
    layers: 4,
    heads: 4,
    intermediate: 512,
    hiddenAct: 'gelu_new',
    maxPositions: 512,
    typeVocab: 2,
    layerNormEps: 1e-12,
    dropout: 0.1,
    numLabels: 2,
  };
  const teacherDir = path.join(args.out!, 'teacher');
  const initial = Teacher.random(teacherConfig, rng.fork());
  saveTeacher(initial, teacherDir, path.join(SHARED, 'bert-base-uncased'));
  initial.dispose();
  const teacher = loadTeacher(teacherDir);
  const teachers = singleTaskTeachers(teacher);
  const t0 = performance.now();
  train({
    params: teacher.params,
    loss: (batch: Batch, ctx) => teacherSupervisedLoss(teacher, batch, ctx),
    openData: batches(trainDs, rng.nextUint32()),
    totalSteps: num('teacher-steps'),
    peakLr: num('teacher-lr'),
    seed: rng.nextUint32(),
    dropoutRate: teacherConfig.dropout,
    evaluate: {
      everySteps: num('eval-every'),
      run: logged('teacher', () => devAccuracy((x) => teacher.forward(x, noDropout).logits!)),
    },
    onProgress: progress('teacher'),
    progressEverySteps: 100,
  });
  saveTeacher(teacher, teacherDir, path.join(SHARED, 'bert-base-uncased'));
  const teacherAcc = devAccuracy((x) => teacher.forward(x, noDropout).logits!);
  const teacherSeconds = (performance.now() - t0) / 1000;
  log(`teacher dev accuracy ${(teacherAcc * 100).toFixed(2)}% in ${teacherSeconds.toFixed(0)} s`);

  // 2. Student: the published expressions at the small preset, distilled from that teacher.
  const config = { ...PRESETS.small, teacherHidden: teacherConfig.hidden, vocabSize: tokenizer.vocabSize };
  const arch = publishedArchitecture(config.layers);
  const student = StudentModel.candidate(config, arch, [classificationHead(TASK, 2)], rng.fork());
  const studentLogits: Parameters<typeof collectPredictions>[1] = (x) =>
    student.logits(TASK, student.forward(arch, x, noDropout), noDropout);
  const t1 = performance.now();
  train({
    params: student.params,
    loss: (batch: Batch, ctx) => kdStepLoss(student, arch, teachers, batch, ctx),
    openData: batches(trainDs, rng.nextUint32()),
    totalSteps: num('pretrain-steps'),
    peakLr: num('student-lr'),
    seed: rng.nextUint32(),
    dropoutRate: config.dropout,
    onProgress: progress('pretrain-kd'),
    progressEverySteps: 100,
  });
  const pretrainSeconds = (performance.now() - t1) / 1000;
  const t2 = performance.now();
  const finetune = train({
    params: student.params,
    loss: (batch: Batch, ctx) => kdStepLoss(student, arch, teachers, batch, ctx, TASK),
    openData: batches(trainDs, rng.nextUint32()),
    totalSteps: num('finetune-steps'),
    peakLr: num('student-lr'),
    seed: rng.nextUint32(),
    dropoutRate: config.dropout,
    evaluate: { everySteps: num('eval-every'), run: logged('finetune-kd', () => devAccuracy(studentLogits)) },
    onProgress: progress('finetune-kd'),
    progressEverySteps: 100,
  });
  const studentAcc = devAccuracy(studentLogits);
  // How often the student predicts what the teacher predicts: KD makes it imitate the teacher, so
  // equal accuracies are expected, not a sign of shared weights.
  const teacherPreds = collectPredictions(
    sequentialBatches(devDs, 128),
    (x) => teacher.forward(x, noDropout).logits!,
  );
  const studentPreds = collectPredictions(sequentialBatches(devDs, 128), studentLogits);
  const agreement = accuracy(studentPreds.predictions, teacherPreds.predictions);
  const finetuneSeconds = (performance.now() - t2) / 1000;
  const result = {
    task: TASK,
    seed,
    backend: backend.name,
    teacher: {
      hidden: teacherConfig.hidden,
      layers: teacherConfig.layers,
      params: teacher.params.size(),
      devAccuracy: teacherAcc,
      seconds: teacherSeconds,
    },
    student: {
      preset: 'small',
      architecture: 'published EfficientBERT expressions (layers 1, 2, 4, 5 of 6)',
      params: student.params.size(),
      devAccuracy: studentAcc,
      agreementWithTeacher: agreement,
      bestStep: finetune.best?.step,
      evals: finetune.evals,
      pretrainSeconds,
      finetuneSeconds,
    },
    majorityBaseline: 0.5092,
    wallSeconds: (performance.now() - started) / 1000,
  };
  console.log(JSON.stringify(result));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
