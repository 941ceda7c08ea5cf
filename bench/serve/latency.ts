/**
 * The gRPC overhead claim of bench/serve: end-to-end Classify p50/p99 against the same Classify done
 * in-process (the same text, tokenized to the same 128 tokens by the package's tokenizer, run by an
 * in-process session created by the server's own session factory with a server worker's settings,
 * softmax); target overhead <= 10% at p50 (also reported against the bare ORT run, tokenization
 * then counting as overhead). OIP ModelInfer (the same token ids, no tokenization in the server) is
 * measured too. Every path is warmed up first and then sampled in turn, one request each, so that
 * drifting load falls on all of them alike. Two references bound what is ours: the transport floor
 * (bench/lib/servers/floor-server.ts: a grpc-js server that only runs ORT on its main thread and
 * answers precomputed bytes, against the bare ORT run) and a second client, grpcio (gRPC C-core,
 * the transport of Triton's Python client; skipped with a note when python3 cannot import grpc), on
 * both the floor and our server.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { softmax } from '../../services/inference/runtime/text-encoding';
import { type GrpcioClient, grpcioAvailable, startGrpcioClient } from '../lib/clients/grpcio';
import type { FloorServer } from '../lib/servers/floor';
import { call, type InferenceStats, modelStatistics, type RunningServer } from '../lib/servers/inference';
import { mainThreadCpuMs } from '../lib/servers/process';
import { mean, percentile, round3, summary, timed } from '../lib/stats';
import { CLASSIFY_PATH, int64, SEQ, TEXT, type Workload } from './workload';

export interface LatencyPlan {
  rounds: number;
  /** Requests per path per round. */
  runs: number;
  /** Requests per path before sampling: enough for V8 to optimize the hot functions of the request path. */
  warmupRuns: number;
}

export interface LatencyInput {
  /** The servers compared; the first (this checkout's) also answers ModelInfer, ServerLive and grpcio. */
  servers: readonly RunningServer[];
  served: { name: string; session: ort.InferenceSession };
  /** The transport floor serving the same model (also measured in the throughput cells). */
  floor: FloorServer;
  workload: Workload;
  /** Where the encoded request for the grpcio client is written. */
  workDir: string;
}

/** Samples every path in alternation; returns per-path statistics, the server's own view, and the claim. */
export async function measureGrpcLatency(input: LatencyInput, plan: LatencyPlan) {
  const { servers, served, workload, floor } = input;
  const measured = servers[0]!;
  const echo = echoWorker(workload);
  let grpcio: { current: GrpcioClient; floor: GrpcioClient } | null = null;
  try {
    if (grpcioAvailable()) {
      const requestFile = join(input.workDir, 'classify-request.bin');
      writeFileSync(requestFile, workload.classifyBytes);
      const start = (port: number) => startGrpcioClient(`127.0.0.1:${port}`, CLASSIFY_PATH, requestFile);
      grpcio = { current: start(measured.port), floor: start(floor.port) };
    }
    const paths = latencyPaths(input, floor, grpcio, echo.roundTrip);
    for (let i = 0; i < plan.warmupRuns; i++) {
      await floor.call(workload.classifyBytes);
      await grpcio?.current.call();
      await grpcio?.floor.call();
    }
    const statsBefore = await modelStatistics(measured, served.name);
    const cpuBefore = servers.map((s) => mainThreadCpuMs(s.child.pid!));
    const latency: Record<string, number[]> = Object.fromEntries(Object.keys(paths).map((p) => [p, []]));
    // One sample of every path in turn, request by request: load from other processes, which
    // drifts within seconds on this machine, then falls on every path alike.
    for (let r = 0; r < plan.rounds; r++) {
      for (let k = 0; k < plan.runs; k++) {
        for (const [path, sample] of Object.entries(paths)) latency[path]!.push(await sample());
      }
    }
    const statsAfter = await modelStatistics(measured, served.name);
    // Server main-thread CPU per request: what the server itself spends, free of the waiting for a
    // core that a loaded machine adds to every hand-off.
    const mainThreadCpuMsPerRequest = Object.fromEntries(
      servers.map((s, i) => {
        const after = mainThreadCpuMs(s.child.pid!);
        const before = cpuBefore[i];
        // The current server also answered the ModelInfer, ServerLive and grpcio requests.
        const requests = plan.rounds * plan.runs * (i === 0 ? (grpcio ? 4 : 3) : 1);
        return [s.spec.name, after === null || before == null ? null : round3((after - before) / requests)];
      }),
    );
    const grpcLatency = pathStatistics(latency);
    return {
      grpcLatency,
      serverSide: serverSide(statsBefore, statsAfter, latency, mainThreadCpuMsPerRequest),
      claim: overheadClaim(grpcLatency, grpcio !== null),
    };
  } finally {
    grpcio?.current.close();
    grpcio?.floor.close();
    await echo.terminate();
  }
}

/** Every path measured, in the order of a round: each one takes one sample (ms) per call. */
function latencyPaths(
  { servers, served, workload }: LatencyInput,
  floor: FloorServer,
  grpcio: { current: GrpcioClient; floor: GrpcioClient } | null,
  workerRoundTrip: () => Promise<void>,
): Record<string, () => Promise<number>> {
  const measured = servers[0]!;
  // Two in-process baselines: the bare ORT run on the request's token ids (what ModelInfer
  // serves) and the whole of a Classify done in-process (tokenize, build the tensors, run,
  // softmax), so that each gRPC path is set against the same work done without serving it.
  const classifyInProcess = async () => {
    const e = workload.tokenizer.encode(TEXT, undefined, SEQ);
    const tensor = (values: number[]) => new ort.Tensor('int64', int64(values), [1, SEQ]);
    const out = await served.session.run({
      input_ids: tensor(e.inputIds),
      attention_mask: tensor(e.attentionMask),
      token_type_ids: tensor(e.tokenTypeIds),
    });
    return softmax(out.logits!.data as Float32Array);
  };
  return {
    inProcess: () => timed(() => served.session.run(workload.feeds)),
    inProcessClassify: () => timed(classifyInProcess),
    ...Object.fromEntries(
      servers.map((s) => [
        `${s.spec.name}:classify`,
        () => timed(() => call(s.classify, 'Classify', workload.classifyRequest)),
      ]),
    ),
    'current:modelInfer': () => timed(() => call(measured.oip, 'ModelInfer', workload.inferRequest)),
    // The two hand-offs no server of this design avoids, alone: an empty RPC (ServerLive) and a
    // round trip to an idle worker thread carrying the request's tensors (transferred) and back.
    'floor:emptyRpc': () => timed(() => call(measured.oip, 'ServerLive', {})),
    'floor:workerRoundTrip': () => timed(workerRoundTrip),
    // The transport floor, and the grpcio client on it and on our server (same request bytes).
    'floor:grpcJsTransport': () => timed(() => floor.call(workload.classifyBytes)),
    ...(grpcio
      ? { 'current:classify:grpcio': grpcio.current.call, 'floor:grpcioTransport': grpcio.floor.call }
      : {}),
  };
}

/** A worker thread that answers each message at once: the hand-off to a session worker, alone. */
function echoWorker({ columns }: Workload) {
  const echo = new Worker(
    "require('node:worker_threads').parentPort.on('message', (m) => require('node:worker_threads').parentPort.postMessage(m.id))",
    { eval: true },
  );
  let id = 0;
  return {
    roundTrip: () =>
      new Promise<void>((resolveTrip) => {
        const data = Object.values(columns).map((c) => c.slice());
        echo.once('message', () => resolveTrip());
        echo.postMessage(
          { id: id++, data },
          data.map((d) => d.buffer as ArrayBuffer),
        );
      }),
    terminate: () => echo.terminate(),
  };
}

/**
 * Percentiles per path, with the overhead: Classify paths against the whole Classify done
 * in-process (and against the bare ORT run); ModelInfer and the transport floor (token ids in, no
 * tokenizing) against the bare ORT run.
 */
function pathStatistics(latency: Record<string, number[]>) {
  const inProcessP50 = percentile(latency.inProcess!, 0.5);
  const inProcessClassifyP50 = percentile(latency.inProcessClassify!, 0.5);
  const overheads = (
    path: string,
    samples: number[],
  ): { overheadP50?: number; overheadVsOrtRunP50?: number } => {
    const p = percentile(samples, 0.5);
    if (path.includes(':classify')) {
      return {
        overheadP50: round3(p / inProcessClassifyP50 - 1),
        overheadVsOrtRunP50: round3(p / inProcessP50 - 1),
      };
    }
    return path.endsWith(':modelInfer') || path.endsWith('Transport')
      ? { overheadP50: round3(p / inProcessP50 - 1) }
      : {};
  };
  return Object.fromEntries(
    Object.entries(latency).map(([path, samples]) => [
      path,
      { ...summary(samples), ...overheads(path, samples) },
    ]),
  );
}

/** Where the time of the current server's requests went, by its own statistics (means). */
function serverSide(
  before: InferenceStats,
  after: InferenceStats,
  latency: Record<string, number[]>,
  mainThreadCpuMsPerRequest: Record<string, number | null>,
) {
  const served = [...latency['current:classify']!, ...latency['current:modelInfer']!];
  return {
    requests: after.success.count - before.success.count,
    mainThreadCpuMsPerRequest,
    meanMs: {
      inProcess: round3(mean(latency.inProcess!)),
      clientObserved: round3(mean(served)),
      ...Object.fromEntries(
        (['success', 'queue', 'compute_input', 'compute_infer', 'compute_output'] as const).map((key) => [
          key === 'success' ? 'serverTotal' : key,
          round3((after[key].ns - before[key].ns) / 1e6 / Math.max(1, after[key].count - before[key].count)),
        ]),
      ),
    },
    note: 'compute_infer spans the hand-off to the session worker thread and back plus the ORT run; serverTotal - compute_* is tokenization, gRPC handling and batching in the server; clientObserved - serverTotal is the client, HTTP/2 and the socket',
  };
}

function overheadClaim(grpcLatency: ReturnType<typeof pathStatistics>, withGrpcio: boolean) {
  const current = grpcLatency['current:classify']!;
  return {
    classify: current.overheadP50,
    classifyVsOrtRun: current.overheadVsOrtRunP50,
    modelInfer: grpcLatency['current:modelInfer']!.overheadP50,
    classifyGrpcioClient: grpcLatency['current:classify:grpcio']?.overheadP50 ?? null,
    transportFloor: {
      grpcJsClient: grpcLatency['floor:grpcJsTransport']!.overheadP50,
      grpcioClient: grpcLatency['floor:grpcioTransport']?.overheadP50 ?? null,
    },
    ...(withGrpcio ? {} : { grpcio: 'not measured: python3 cannot import grpc (pip install grpcio)' }),
    target: 0.1,
    met: (current.overheadP50 ?? Number.POSITIVE_INFINITY) <= 0.1,
  };
}
