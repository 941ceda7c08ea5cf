/**
 * Claim: dynamic int8 export keeps a trained model's accuracy (within 1 point of fp32 on SST-2 dev).
 *
 * A student with the published EfficientBERT expressions is fine-tuned on SST-2 (supervised, seeded,
 * a fixed number of steps), exported as fp32 and as int8 packages, and both run by ONNX Runtime
 * over the 872 dev sentences. Prints one JSON object: each accuracy, the majority baseline, the
 * label agreement and the largest / mean change of a class probability. Progress goes to stderr.
 *
 *   node --import tsx bench/int8-accuracy.ts [--preset tiny|small|paper] [--steps 600]
 *     [--max-seq 64] [--batch 32] [--lr 1e-3] [--seed 42]
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import type { PresetName } from '../efficientbert/core/presets';
import { measureInt8Agreement } from '../test/fixtures/int8-agreement';
import { trainSst2Student } from '../test/fixtures/sst2-student';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'small' },
    steps: { type: 'string', default: '600' },
    'max-seq': { type: 'string', default: '64' },
    batch: { type: 'string', default: '32' },
    lr: { type: 'string', default: '1e-3' },
    seed: { type: 'string', default: '42' },
  },
});

const TOLERANCE_POINTS = 1;
const round4 = (x: number) => Number(x.toFixed(4));

async function main(): Promise<void> {
  const started = performance.now();
  const options = {
    preset: args.preset as PresetName,
    steps: Number(args.steps),
    maxSeq: Number(args['max-seq']),
    batchSize: Number(args.batch),
    peakLr: Number(args.lr),
    seed: Number(args.seed),
    log: (line: string) => console.error(`[int8-accuracy] ${line}`),
  };
  const student = await trainSst2Student(options);
  const result = await measureInt8Agreement(student);
  console.log(
    JSON.stringify(
      {
        bench: 'int8-accuracy',
        claims: {
          int8WithinFp32: {
            deltaPoints: round4(result.deltaPoints),
            tolerancePoints: TOLERANCE_POINTS,
            met: Math.abs(result.deltaPoints) <= TOLERANCE_POINTS,
          },
          trainedAboveMajority: {
            fp32Accuracy: round4(result.fp32Accuracy),
            majorityBaseline: round4(result.majorityBaseline),
            met: result.fp32Accuracy > result.majorityBaseline + 0.05,
          },
        },
        sst2Dev: {
          examples: result.devExamples,
          fp32Accuracy: round4(result.fp32Accuracy),
          int8Accuracy: round4(result.int8Accuracy),
          agreement: round4(result.agreement),
          maxAbsProbDelta: round4(result.maxAbsProbDelta),
          meanAbsProbDelta: Number(result.meanAbsProbDelta.toExponential(3)),
        },
        modelMB: { fp32: round4(result.modelBytes.fp32 / 1e6), int8: round4(result.modelBytes.int8 / 1e6) },
        settings: {
          preset: options.preset,
          steps: options.steps,
          maxSeq: options.maxSeq,
          batch: options.batchSize,
          peakLr: options.peakLr,
          seed: options.seed,
          training: 'supervised cross-entropy on SST-2 train, published EfficientBERT expressions',
          export: 'plain opset-17 graph; int8 = dynamic int8 of every MatMul weight, per output column',
        },
        machine: {
          cores: availableParallelism(),
          node: process.version,
          onnxruntime: ort.env.versions.common,
        },
        trainSeconds: Math.round(student.trainSeconds),
        seconds: Math.round((performance.now() - started) / 1000),
      },
      null,
      2,
    ),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
