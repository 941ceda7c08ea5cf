/**
 * Claims about serving, all measured in one run on this machine (ratios against a baseline taken
 * in the same run, interleaved round by round so that load from other processes hits both sides).
 * One benchmark, not several: the claims share the exported models, the servers and the in-process
 * session, and the gRPC paths are only comparable sampled in the same rounds. Its parts, one per
 * claim, are in bench/serve/:
 *
 *  - models.ts: EfficientBERT against BERT-base, in-process ORT p50 at batch 1, sequence 128
 *    (the paper claims 4.4x), and EfficientBERT int8 against fp32 (target >= 1.4x);
 *  - latency.ts: the gRPC overhead, Classify through the server against the same Classify done
 *    in-process (target <= 10% at p50), bounded by the grpc-js transport floor and a grpcio client;
 *  - over-floor.ts: what our server adds to that floor (`overVsFloorMs`, grpcio client, target
 *    <= 0.5 ms), over several processes of each server;
 *  - throughput.ts: requests/s with 1, 8 and 32 concurrent clients, dynamic batching on and off,
 *    and against the floor (`throughputVsFloor32`, target >= 0.9x at 32 clients).
 *
 * Servers run as child processes (services/inference/main.ts, default settings, loopback, no
 * metrics port), the clients in this process. `--baseline-server PATH` adds another server entry
 * file (e.g. an older checkout's services/inference/main.ts) measured in the same rounds: the
 * before/after of server changes. Prints one JSON object on stdout; progress goes to stderr.
 *
 *   node --import tsx bench/serve.ts [--quick] [--tiny] [--baseline-server PATH] [--keep DIR]
 *
 * --quick: fewer samples and shorter load phases (a smoke run, about 2 minutes); --tiny: the test
 * fixture classifier stands in for every model (no export; seconds; checks the machinery only).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { defaultConfig } from '../services/inference/config';
import { type FloorServer, startFloorServer } from './lib/servers/floor';
import {
  call,
  INFERENCE_SERVER,
  ONE_INSTANCE,
  type RunningServer,
  type ServerSpec,
  startServer,
  stopServer,
} from './lib/servers/inference';
import { killAllServers } from './lib/servers/process';
import { ratio, round3 } from './lib/stats';
import { measureGrpcLatency } from './serve/latency';
import { measureModels, writeModels } from './serve/models';
import { measureOverFloor } from './serve/over-floor';
import {
  batchingClaim,
  measureThroughput,
  rps,
  throughputTargets,
  throughputVsFloorClaim,
} from './serve/throughput';
import { CLASSIFY_PATH, checkClassifyResponse, SEQ, workload } from './serve/workload';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    tiny: { type: 'boolean', default: false },
    'baseline-server': { type: 'string' },
    seed: { type: 'string', default: '42' },
    keep: { type: 'string' },
  },
});

/** Sample counts and phase lengths per mode. */
const CONCURRENCY = [1, 8, 32];
const PLAN = args.tiny
  ? {
      rounds: 3,
      modelRuns: [4, 4, 4],
      grpcRuns: 10,
      overFloor: { processes: 2, rounds: 2, runs: 3 },
      loadSeconds: 0.5,
      slices: 1,
      concurrency: CONCURRENCY,
    }
  : args.quick
    ? {
        rounds: 4,
        modelRuns: [5, 5, 1],
        grpcRuns: 15,
        overFloor: { processes: 2, rounds: 4, runs: 5 },
        loadSeconds: 3,
        slices: 2,
        concurrency: CONCURRENCY,
      }
    : {
        rounds: 10,
        modelRuns: [10, 10, 3],
        grpcRuns: 30,
        overFloor: { processes: 3, rounds: 10, runs: 10 },
        loadSeconds: 8,
        slices: 4,
        concurrency: CONCURRENCY,
      };
/**
 * Requests per server and path before measuring: enough for V8 to optimize the hot functions of the
 * server's request path (grpc-js, protobufjs, tokenizer), which a handful of requests does not.
 */
const GRPC_WARMUP_RUNS = args.tiny ? 3 : 50;

const log = (message: string) => console.error(`[serve] ${message}`);

/**
 * The servers: this checkout at default settings (and, in the full run, with the former 1 ms batch
 * delay), the baseline checkout if given, and each but the delay variant with batching off. The
 * first list is what the latency rounds compare; all of them are in the throughput cells.
 */
function serverSpecs(intraOpThreads: number): { latency: ServerSpec[]; all: ServerSpec[] } {
  const specs: ServerSpec[] = [
    { name: 'current', entry: INFERENCE_SERVER, flags: [], note: 'this checkout, default settings' },
    {
      name: ONE_INSTANCE,
      entry: INFERENCE_SERVER,
      // The floor's intra-op threads, not all the cores one instance would get by default.
      flags: ['--instances', '1', '--intra-op-threads', String(intraOpThreads)],
      note: 'this checkout with one session instance (on the main thread), the floor’s intra-op threads',
    },
  ];
  if (!args.quick && !args.tiny) {
    specs.push({
      name: 'current-delay1ms',
      entry: INFERENCE_SERVER,
      flags: ['--max-queue-delay-ms', '1'],
      note: 'this checkout with the former default batch delay of 1 ms',
    });
  }
  if (args['baseline-server']) {
    specs.push({
      name: 'baseline',
      entry: resolve(args['baseline-server']),
      flags: [],
      note: `${args['baseline-server']}, default settings`,
    });
  }
  const batchingOff = (spec: ServerSpec): ServerSpec => ({
    ...spec,
    name: `${spec.name}/batching-off`,
    flags: [...spec.flags, '--dynamic-batching', 'off'],
    note: `${spec.note}, dynamic batching off`,
  });
  return {
    latency: specs,
    all: [
      ...specs,
      ...specs
        .filter((s) => !s.flags.includes('--max-queue-delay-ms') && s.name !== ONE_INSTANCE)
        .map(batchingOff),
    ],
  };
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const loadAtStart = loadavg();
  const work = mkdtempSync(join(args.keep ?? tmpdir(), 'eb-bench-serve-'));
  const repo = join(work, 'repo');
  const servers: RunningServer[] = [];
  let floor: FloorServer | null = null;
  let session: ort.InferenceSession | null = null;
  // Interrupted: the server processes and the temporary models go too.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAllServers();
      if (!args.keep) rmSync(work, { recursive: true, force: true });
      process.exit(130);
    });
  }
  try {
    const { served, files } = writeModels(repo, join(work, 'others'), {
      tiny: args.tiny,
      seed: Number(args.seed),
      log,
    });
    const defaults = defaultConfig(repo);
    const threads = defaults.intraOpThreads;
    const input = workload(repo, served);

    log(`models: ${PLAN.rounds} rounds, intra-op threads ${threads}`);
    const models = await measureModels(files, input.feeds, {
      rounds: PLAN.rounds,
      runs: PLAN.modelRuns,
      intraOpThreads: threads,
    });
    session = models.served.session;

    // Every server is up for the whole run (idle ones sleep: spinning is off), so the variants
    // can be measured in alternation.
    const specs = serverSpecs(threads);
    for (const spec of specs.all) servers.push(await startServer(spec, repo));
    // The transport floor: the same model run on a grpc-js server's main thread with a worker's
    // intra-op threads, one session (bench/lib/servers/floor-server.ts).
    floor = await startFloorServer(models.served.file.path, {
      method: CLASSIFY_PATH,
      seq: SEQ,
      threads,
    });
    log(`servers: ${specs.all.map((s) => s.name).join(', ')}, floor`);
    for (const s of servers) {
      for (let i = 0; i < GRPC_WARMUP_RUNS; i++) {
        checkClassifyResponse(await call(s.classify, 'Classify', input.classifyRequest));
        await call(s.oip, 'ModelInfer', input.inferRequest);
        await call(s.oip, 'ServerLive', {});
      }
    }

    log(`gRPC latency: ${PLAN.rounds} rounds of ${PLAN.grpcRuns} requests per path`);
    const latency = await measureGrpcLatency(
      {
        servers: servers.filter((s) => specs.latency.includes(s.spec)),
        served: { name: served, session },
        floor,
        workload: input,
        workDir: work,
      },
      { rounds: PLAN.rounds, runs: PLAN.grpcRuns, warmupRuns: GRPC_WARMUP_RUNS },
    );

    const { processes, rounds, runs } = PLAN.overFloor;
    log(`over the floor: ${processes} processes per server, ${rounds} rounds of ${runs} requests each`);
    const overFloor = await measureOverFloor(
      {
        repo,
        modelPath: models.served.file.path,
        threads,
        current: specs.latency.find((s) => s.name === 'current')!,
        oneInstance: specs.latency.find((s) => s.name === ONE_INSTANCE)!,
        classifyBytes: input.classifyBytes,
        workDir: work,
      },
      { ...PLAN.overFloor, warmupRuns: GRPC_WARMUP_RUNS, seed: Number(args.seed) },
    );

    log(
      `throughput: ${PLAN.slices} x ${PLAN.loadSeconds / PLAN.slices} s per cell, concurrency ${PLAN.concurrency.join(', ')}`,
    );
    const throughput = await measureThroughput(throughputTargets(servers, floor, input.classifyBytes), PLAN);

    const { grpcLatency } = latency;
    const result = {
      bench: 'serve',
      mode: args.tiny ? 'tiny' : args.quick ? 'quick' : 'full',
      claims: {
        overVsFloorMs: overFloor,
        throughputVsFloor32: throughputVsFloorClaim(throughput),
        ...models.claims,
        grpcOverheadP50: latency.claim,
        batchingOnVsOff: batchingClaim(throughput, PLAN.concurrency),
        ...(throughput.baseline
          ? {
              currentVsBaseline: {
                classifyP50: ratio(
                  grpcLatency['baseline:classify']!.p50Ms,
                  grpcLatency['current:classify']!.p50Ms,
                ),
                throughput: Object.fromEntries(
                  PLAN.concurrency.map((c) => [
                    String(c),
                    ratio(rps(throughput, 'current', c)!, rps(throughput, 'baseline', c)!),
                  ]),
                ),
              },
            }
          : {}),
      },
      models: models.models,
      grpcLatency,
      serverSide: latency.serverSide,
      throughputRps: throughput,
      servers: specs.all.map((s) => ({ name: s.name, note: s.note, flags: s.flags })),
      settings: {
        batch: 1,
        seq: SEQ,
        text: 'one English text truncated to 128 tokens by the package tokenizer (TRUNCATE)',
        export: { fused: false, int8Model: 'dynamic int8 of every MatMul weight' },
        serverDefaults: {
          instances: defaults.instances,
          intraOpThreads: defaults.intraOpThreads,
          maxBatchSize: defaults.batching.maxBatchSize,
          maxQueueDelayMs: defaults.batching.maxQueueDelayMs,
        },
        inProcess: {
          intraOpThreads: threads,
          spinning: false,
          factory: 'services/inference/runtime/session-factory',
        },
        plan: PLAN,
      },
      machine: {
        cores: availableParallelism(),
        node: process.version,
        onnxruntime: ort.env.versions.common,
        loadavgStart: loadAtStart.map(round3),
        loadavgEnd: loadavg().map(round3),
      },
      seconds: Math.round((Date.now() - startedAt) / 1000),
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await Promise.all(servers.map(stopServer));
    await floor?.stop();
    await session?.release().catch(() => undefined);
    if (!args.keep) rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
