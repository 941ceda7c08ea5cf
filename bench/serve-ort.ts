/**
 * Claims: the published EfficientBERT (paper preset) runs ~4.4x faster than BERT-base; com.microsoft
 * fused operators beat the plain opset-17 graph; dynamic int8 gives >= 1.4x over fp32.
 *
 * In-process ONNX Runtime (CPU provider) latency at batch 1, sequence 128, of models written by
 * efficientbert/export from seeded random-init weights: EfficientBERT (paper preset, published
 * architecture) and BERT-base (12 x 768, from the shared HF config.json), each as plain / fused x
 * fp32 / int8, sequential runs after a warm-up, variants interleaved. Prints one JSON object.
 *
 *   node --import tsx bench/serve-ort.ts [--iterations 100] [--warmup 10] [--threads N]
 *     [--seq 128] [--batch 1] [--models efficientbert,bert-base] [--variants plain,fused,plain-int8,fused-int8]
 *     [--bert-config PATH]   (BERT-base shape; default the shared bert-base-uncased config.json)
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { Prng } from '../efficientbert/core/prng';
import type { ExportOptions } from '../efficientbert/export/options';
import { randomInitWeights } from '../efficientbert/export/random-init';
import { buildStudentOnnx } from '../efficientbert/export/student-graph';
import { buildTeacherOnnx } from '../efficientbert/export/teacher-graph';
import { publishedArchitecture } from '../efficientbert/model/published-arch';
import { teacherConfigFromHf, teacherWeightShapes } from '../efficientbert/model/teacher-config';
import { PRESETS } from '../efficientbert/space/presets';
import { headWeightShapes, studentWeightShapes } from '../efficientbert/space/weights';
import { percentile, round3 } from './lib/stats';

const { values: args } = parseArgs({
  options: {
    iterations: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '10' },
    threads: { type: 'string', default: String(availableParallelism()) },
    seq: { type: 'string', default: '128' },
    batch: { type: 'string', default: '1' },
    models: { type: 'string', default: 'efficientbert,bert-base' },
    variants: { type: 'string', default: 'plain,fused,plain-int8,fused-int8' },
    seed: { type: 'string', default: '42' },
    'bert-config': {
      type: 'string',
      default: join(__dirname, '..', '..', 'shared', 'data', 'bert-base-uncased', 'config.json'),
    },
  },
});

const VARIANTS: Record<string, ExportOptions> = {
  plain: { fused: false, int8: false },
  fused: { fused: true, int8: false },
  'plain-int8': { fused: false, int8: true },
  'fused-int8': { fused: true, int8: true },
};

const seed = Number(args.seed);
const head = { task: 'bench', kind: 'classification' as const, outputs: 2 };

/** Model builders by name: each returns the ONNX bytes for one export variant. */
function modelBuilder(name: string): (options: ExportOptions) => Uint8Array {
  if (name === 'efficientbert') {
    const config = PRESETS.paper;
    const arch = publishedArchitecture(config.layers);
    const shapes = new Map([
      ...studentWeightShapes(config, arch),
      ...headWeightShapes(config, head.task, head.outputs),
    ]);
    const weights = randomInitWeights(shapes, seed);
    return (options) => buildStudentOnnx({ config, arch, weights, head, options });
  }
  if (name === 'bert-base') {
    const config = {
      ...teacherConfigFromHf(JSON.parse(readFileSync(args['bert-config'], 'utf8'))),
      numLabels: 2,
    };
    const weights = randomInitWeights(teacherWeightShapes(config), seed);
    return (options) => buildTeacherOnnx({ config, weights, options });
  }
  throw new Error(`unknown model '${name}' (efficientbert, bert-base)`);
}

function feeds(batch: number, seq: number): Record<string, ort.Tensor> {
  const rng = Prng.fromSeed(seed);
  const n = batch * seq;
  const t = (f: (i: number) => number) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from({ length: n }, (_, i) => BigInt(f(i))),
      [batch, seq],
    );
  return {
    input_ids: t(() => 1000 + rng.int(29000)),
    attention_mask: t(() => 1),
    token_type_ids: t(() => 0),
  };
}

interface Timing {
  p50Ms: number;
  p90Ms: number;
  minMs: number;
  modelMB: number;
  /** int8 only: max |Δprobability| against the fp32 graph of the same fusion setting. */
  maxProbDiffVsFp32?: number;
}

/**
 * Times every variant of one model. The sessions are created first and then measured in
 * interleaved rounds, so a load change on a shared machine hits all variants alike and the
 * ratios stay meaningful even when the absolute numbers drift.
 */
async function measureVariants(
  build: (options: ExportOptions) => Uint8Array,
  variants: readonly string[],
  threads: number,
  input: Record<string, ort.Tensor>,
): Promise<Record<string, Timing>> {
  const sessions = new Map<string, { session: ort.InferenceSession; bytes: number; probs: Float32Array }>();
  for (const variant of variants) {
    const options = VARIANTS[variant];
    if (!options) throw new Error(`unknown variant '${variant}' (${Object.keys(VARIANTS).join(', ')})`);
    const model = build(options);
    const session = await ort.InferenceSession.create(model, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
    });
    const out = await session.run(input);
    sessions.set(variant, {
      session,
      bytes: model.byteLength,
      probs: out.probabilities!.data as Float32Array,
    });
  }
  for (const { session } of sessions.values())
    for (let i = 0; i < Number(args.warmup); i++) await session.run(input);
  const times = new Map(variants.map((v) => [v, [] as number[]]));
  const rounds = 10;
  for (let round = 0; round < rounds; round++) {
    for (const [variant, { session }] of sessions) {
      for (let i = 0; i < Math.ceil(Number(args.iterations) / rounds); i++) {
        const start = process.hrtime.bigint();
        await session.run(input);
        times.get(variant)!.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
    }
  }
  const result: Record<string, Timing> = {};
  for (const [variant, { session, bytes, probs }] of sessions) {
    const samples = times.get(variant)!;
    result[variant] = {
      p50Ms: round3(percentile(samples, 0.5)),
      p90Ms: round3(percentile(samples, 0.9)),
      minMs: round3(Math.min(...samples)),
      modelMB: round3(bytes / 1e6),
    };
    const fp32 = sessions.get(variant.replace('-int8', ''));
    if (variant.endsWith('-int8') && fp32) {
      result[variant].maxProbDiffVsFp32 = Number(
        Math.max(...Array.from(probs, (p, i) => Math.abs(p - fp32.probs[i]!))).toExponential(2),
      );
    }
    await session.release();
  }
  return result;
}

async function main(): Promise<void> {
  const threads = Number(args.threads);
  const batch = Number(args.batch);
  const seq = Number(args.seq);
  const input = feeds(batch, seq);
  const variants = args.variants.split(',');
  const results: Record<string, Record<string, Timing>> = {};
  for (const name of args.models.split(',')) {
    results[name] = await measureVariants(modelBuilder(name), variants, threads, input);
    console.error(`[serve-ort] ${name}: ${JSON.stringify(results[name])}`);
  }
  const ratio = (a?: { p50Ms: number }, b?: { p50Ms: number }) =>
    a && b ? Number((a.p50Ms / b.p50Ms).toFixed(2)) : null;
  const e = results.efficientbert ?? {};
  const t = results['bert-base'] ?? {};
  console.log(
    JSON.stringify({
      batch,
      seq,
      threads,
      iterations: Number(args.iterations),
      ortVersion: ort.env.versions.common,
      results,
      speedups: {
        fusedVsPlain: { efficientbert: ratio(e.plain, e.fused), bertBase: ratio(t.plain, t.fused) },
        int8VsFp32Plain: {
          efficientbert: ratio(e.plain, e['plain-int8']),
          bertBase: ratio(t.plain, t['plain-int8']),
        },
        int8VsFp32Fused: {
          efficientbert: ratio(e.fused, e['fused-int8']),
          bertBase: ratio(t.fused, t['fused-int8']),
        },
        efficientbertVsBertBase: {
          plain: ratio(t.plain, e.plain),
          fused: ratio(t.fused, e.fused),
          fusedInt8: ratio(t['fused-int8'], e['fused-int8']),
        },
      },
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
