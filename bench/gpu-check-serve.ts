/**
 * The serving half of bench/gpu-check.sh: one model.onnx on the CUDA and the CPU execution
 * providers of onnxruntime-node, in one process: p50 latency at batch 1, seq 128, and rows/s at
 * batch 32 (what the server's dynamic batcher runs for 32 concurrent clients). Prints one JSON
 * object; a provider that cannot start is reported with the loader's reason, not thrown.
 *
 *   node --import tsx bench/gpu-check-serve.ts MODEL.onnx [--iterations 50]
 */
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { diagnoseProviders } from '../services/inference/runtime/provider-diagnosis';

const { values: args, positionals } = parseArgs({
  options: { iterations: { type: 'string', default: '50' } },
  allowPositionals: true,
});
const SEQ = 128;

function feeds(batch: number): Record<string, ort.Tensor> {
  const n = batch * SEQ;
  const ids = BigInt64Array.from({ length: n }, (_, i) =>
    BigInt(i % SEQ === 0 ? 101 : 1000 + ((i * 7919) % 20000)),
  );
  return {
    input_ids: new ort.Tensor('int64', ids, [batch, SEQ]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [batch, SEQ]),
    token_type_ids: new ort.Tensor('int64', new BigInt64Array(n), [batch, SEQ]),
  };
}

async function medianMs(session: ort.InferenceSession, batch: number, iterations: number): Promise<number> {
  const input = feeds(batch);
  for (let i = 0; i < 5; i++) await session.run(input);
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await session.run(input);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return Number(times[Math.floor(times.length / 2)]!.toFixed(3));
}

async function measure(
  model: string,
  provider: string,
  iterations: number,
): Promise<Record<string, unknown>> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(model, {
      executionProviders: [provider],
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    return {
      failed: `${(err as Error).message}${provider === 'cpu' ? '' : ` (${diagnoseProviders([provider])})`}`,
    };
  }
  const p50b1 = await medianMs(session, 1, iterations);
  const p50b32 = await medianMs(session, 32, Math.max(5, iterations / 5));
  await session.release();
  return {
    p50MsBatch1Seq128: p50b1,
    p50MsBatch32: p50b32,
    rowsPerSecBatch32: Math.round((32 * 1000) / p50b32),
  };
}

async function main(): Promise<void> {
  const model = positionals[0];
  if (!model) throw new Error('usage: gpu-check-serve.ts MODEL.onnx');
  const iterations = Number(args.iterations);
  const cuda = await measure(model, 'cuda', iterations);
  const cpu = await measure(model, 'cpu', iterations);
  const speedup = (a: unknown, b: unknown) =>
    typeof a === 'number' && typeof b === 'number' ? Number((b / a).toFixed(2)) : null;
  console.log(
    JSON.stringify({
      cuda,
      cpu,
      cudaVsCpu: {
        p50Batch1: speedup(cuda.p50MsBatch1Seq128, cpu.p50MsBatch1Seq128),
        batch32: speedup(cuda.p50MsBatch32, cpu.p50MsBatch32),
      },
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
