/**
 * Claims about serving, all measured in one run on this machine (ratios against a baseline taken
 * in the same run, interleaved round by round so that load from other processes hits both sides):
 *
 *  - models: in-process ONNX Runtime p50 at batch 1, sequence 128, of the published EfficientBERT
 *    (paper preset, seeded random init) against BERT-base (12 x 768), both written by
 *    efficientbert/export as servable packages (the paper claims 4.4x), and EfficientBERT int8
 *    against fp32 (target >= 1.4x);
 *  - grpc: end-to-end Classify p50/p99 against the same Classify done in-process: the same text,
 *    tokenized to the same 128 tokens by the package's tokenizer, run by an in-process session
 *    created by the server's own session factory with a server worker's settings (intra-op
 *    threads, spinning off), softmax; target overhead <= 10% at p50 (also reported against the
 *    bare ORT run, tokenization then counting as overhead). OIP ModelInfer (the same token ids, no
 *    tokenization in the server) is measured too. Every path is warmed up first and then sampled
 *    in turn, one request each, so that drifting load falls on all of them alike. Two references
 *    bound what is ours: the transport floor (bench/serve-floor-server.ts: a grpc-js server that
 *    only runs ORT on its main thread and answers precomputed bytes, against the bare ORT run) and
 *    a second client, grpcio (gRPC C-core, the transport of Triton's Python client; skipped with a
 *    note when python3 cannot import grpc), on both the floor and our server;
 *  - throughput: requests/s with 1, 8 and 32 concurrent clients, dynamic batching on and off.
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
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import * as grpc from '@grpc/grpc-js';
import * as ort from 'onnxruntime-node';
import { WordPieceTokenizer } from '../efficientbert/data/tokenizer';
import { exportStudentPackage, exportTeacherPackage } from '../efficientbert/export/model-package';
import { randomInitWeights } from '../efficientbert/export/random-init';
import { publishedArchitecture } from '../efficientbert/model/published-arch';
import { teacherConfigFromHf, teacherWeightShapes } from '../efficientbert/model/teacher-config';
import { PRESETS } from '../efficientbert/space/presets';
import { headWeightShapes, studentWeightShapes } from '../efficientbert/space/weights';
import { defaultConfig } from '../services/inference/config';
import {
  clientConstructor,
  loadPackageDefinition,
  loadProtoRoot,
  SERVICE_NAMES,
} from '../services/inference/protos';
import { createSessionWithFallback } from '../services/inference/session-factory';
import { softmax } from '../services/inference/text-encoding';
import { BERT_TOKENIZER_DIR, writeTinyClassifier } from '../test/fixtures/tiny-classifier';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    tiny: { type: 'boolean', default: false },
    'baseline-server': { type: 'string' },
    seed: { type: 'string', default: '42' },
    keep: { type: 'string' },
  },
});

const SEQ = 128;
const LABELS = ['negative', 'positive'];
const CURRENT_SERVER = join(__dirname, '..', 'services', 'inference', 'main.ts');
const FLOOR_SERVER = join(__dirname, 'serve-floor-server.ts');
const GRPCIO_CLIENT = join(__dirname, 'grpcio_client.py');
const CLASSIFY_PATH = `/${SERVICE_NAMES.classify}/Classify`;
const BERT_CONFIG = join(BERT_TOKENIZER_DIR, 'config.json');

/** Sample counts and phase lengths per mode. */
const CONCURRENCY = [1, 8, 32];
const PLAN = args.tiny
  ? { rounds: 3, modelRuns: [4, 4, 4], grpcRuns: 10, loadSeconds: 0.5, slices: 1, concurrency: CONCURRENCY }
  : args.quick
    ? { rounds: 4, modelRuns: [5, 5, 1], grpcRuns: 15, loadSeconds: 3, slices: 2, concurrency: CONCURRENCY }
    : {
        rounds: 10,
        modelRuns: [10, 10, 3],
        grpcRuns: 30,
        loadSeconds: 8,
        slices: 4,
        concurrency: CONCURRENCY,
      };
/**
 * Runs before measuring, per path: enough for V8 to optimize the hot functions of the server's
 * request path (grpc-js, protobufjs, tokenizer), which a handful of requests does not.
 */
const WARMUP_RUNS = 3;
const GRPC_WARMUP_RUNS = args.tiny ? 3 : 50;

const log = (message: string) => console.error(`[serve] ${message}`);
const round3 = (x: number) => Number(x.toFixed(3));

/** A text long enough to fill SEQ tokens after truncation (about 270 word pieces). */
const TEXT = Array.from(
  { length: 12 },
  () => 'an entirely watchable film with a few good jokes and a great deal of heart in it ,',
).join(' ');

// ---------------------------------------------------------------------------------------------
// Models

interface ModelFile {
  role: 'efficientbert' | 'efficientbertInt8' | 'bertBase';
  path: string;
  bytes: number;
  architecture: string;
}

/** Writes the packages: the served model into `repo`, the others beside it. */
function writeModels(repo: string, others: string): { served: string; files: ModelFile[] } {
  const seed = Number(args.seed);
  const target = { version: 1, tokenizerDir: BERT_TOKENIZER_DIR, labels: LABELS };
  if (args.tiny) {
    const files = (['efficientbert', 'efficientbertInt8', 'bertBase'] as const).map((role, i) => {
      const dir = i === 0 ? repo : others;
      const written = writeTinyClassifier(dir, { name: role, version: 1, seed, maxSeqLength: SEQ });
      const path = join(written.versionDir, 'model.onnx');
      return { role, path, bytes: readFileSync(path).byteLength, architecture: 'tiny fixture' };
    });
    return { served: 'efficientbert', files };
  }
  const files: ModelFile[] = [];
  const config = PRESETS.paper;
  const arch = publishedArchitecture(config.layers);
  const head = { task: 'sst2', kind: 'classification' as const, outputs: LABELS.length };
  let started = Date.now();
  const weights = randomInitWeights(
    new Map([...studentWeightShapes(config, arch), ...headWeightShapes(config, head.task, head.outputs)]),
    seed,
  );
  for (const [role, out, int8] of [
    ['efficientbert', repo, false],
    ['efficientbertInt8', others, true],
  ] as const) {
    const written = exportStudentPackage({
      ...target,
      out,
      name: role,
      config,
      arch,
      head,
      weights,
      options: { fused: false, int8 },
    });
    files.push({
      role,
      path: written.modelPath,
      bytes: written.modelBytes,
      architecture: written.modelJson.architecture,
    });
  }
  log(`exported EfficientBERT fp32 + int8 in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  started = Date.now();
  const teacher = {
    ...teacherConfigFromHf(JSON.parse(readFileSync(BERT_CONFIG, 'utf8')), BERT_CONFIG),
    numLabels: LABELS.length,
  };
  const written = exportTeacherPackage({
    ...target,
    out: others,
    name: 'bertBase',
    config: teacher,
    weights: randomInitWeights(teacherWeightShapes(teacher), seed),
    maxSeqLength: SEQ,
    options: { fused: false, int8: false },
  });
  files.push({
    role: 'bertBase',
    path: written.modelPath,
    bytes: written.modelBytes,
    architecture: written.modelJson.architecture,
  });
  log(`exported BERT-base in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { served: 'efficientbert', files };
}

// ---------------------------------------------------------------------------------------------
// Statistics

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

function summary(samples: readonly number[]) {
  return {
    n: samples.length,
    p50Ms: round3(percentile(samples, 0.5)),
    p90Ms: round3(percentile(samples, 0.9)),
    p99Ms: round3(percentile(samples, 0.99)),
  };
}

const ratio = (a: number, b: number) => Number((a / b).toFixed(3));

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

// ---------------------------------------------------------------------------------------------
// Servers and clients

interface ServerSpec {
  name: string;
  entry: string;
  flags: string[];
  /** What the variant shows, for the reader of the JSON. */
  note: string;
}

type UnaryMethod = (
  request: unknown,
  callback: (err: grpc.ServiceError | null, response: unknown) => void,
) => grpc.ClientUnaryCall;
type Client = grpc.Client & Record<string, UnaryMethod>;

interface RunningServer {
  spec: ServerSpec;
  child: ChildProcess;
  port: number;
  classify: Client;
  oip: Client;
}

const definition = loadPackageDefinition();
const ClassifyClient = clientConstructor(definition, SERVICE_NAMES.classify);
const OipClient = clientConstructor(definition, SERVICE_NAMES.oip);

/**
 * Starts a server entry file from its checkout's root (`root`, where tsx resolves) and resolves
 * with its port once it prints its listening line.
 */
async function spawnListening(
  name: string,
  entry: string,
  root: string,
  args: string[],
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((resolvePort, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        const event = JSON.parse(line) as { event?: string; port?: number };
        if (event.event === 'listening' && event.port) resolvePort(event.port);
      } catch {
        // not the listening line
      }
    });
    child.once('exit', (code) => reject(new Error(`server ${name} exited with ${code}: ${stderr}`)));
  });
  return { child, port };
}

async function startServer(spec: ServerSpec, repo: string): Promise<RunningServer> {
  const { child, port } = await spawnListening(spec.name, spec.entry, resolve(spec.entry, '..', '..', '..'), [
    '--repository',
    repo,
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--metrics-port',
    'off',
    ...spec.flags,
  ]);
  const address = `127.0.0.1:${port}`;
  const credentials = grpc.credentials.createInsecure();
  return {
    spec,
    child,
    port,
    classify: new ClassifyClient(address, credentials) as Client,
    oip: new OipClient(address, credentials) as Client,
  };
}

/** The transport floor's server (bench/serve-floor-server.ts) and a bytes-in, bytes-out client. */
interface FloorServer {
  child: ChildProcess;
  port: number;
  call(request: Buffer): Promise<Buffer>;
  close(): void;
}

async function startFloorServer(model: string, threads: number): Promise<FloorServer> {
  const { child, port } = await spawnListening('floor', FLOOR_SERVER, join(__dirname, '..'), [
    '--model',
    model,
    '--path',
    CLASSIFY_PATH,
    '--seq',
    String(SEQ),
    '--threads',
    String(threads),
  ]);
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const bytes = (b: Buffer) => b;
  return {
    child,
    port,
    call: (request) =>
      new Promise((resolveCall, reject) =>
        client.makeUnaryRequest(CLASSIFY_PATH, bytes, bytes, request, (err, response) =>
          err ? reject(err) : resolveCall(response!),
        ),
      ),
    close: () => client.close(),
  };
}

/**
 * A grpcio client process (bench/grpcio_client.py) sending one fixed request per `call`; resolves
 * with the latency the client measured around the call itself. Null when python3 lacks grpcio.
 */
interface GrpcioClient {
  call(): Promise<number>;
  close(): void;
}

function grpcioAvailable(): boolean {
  return spawnSync('python3', [GRPCIO_CLIENT, '--check']).status === 0;
}

function startGrpcioClient(target: string, method: string, requestFile: string): GrpcioClient {
  const child = spawn('python3', [GRPCIO_CLIENT, target, method, requestFile], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waiting: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => waiting.shift()?.(line));
  return {
    call: () =>
      new Promise((resolveCall) => {
        waiting.push((line) => resolveCall(Number(line.split(' ')[0]) / 1e6));
        child.stdin!.write('\n');
      }),
    close: () => child.stdin!.end(),
  };
}

async function stopServer(server: RunningServer): Promise<void> {
  server.classify.close();
  server.oip.close();
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolveExit) => server.child.once('exit', resolveExit));
  server.child.kill('SIGTERM');
  await exited;
}

function call(client: Client, method: string, request: unknown): Promise<unknown> {
  return new Promise((resolveCall, reject) => {
    client[method]!.call(client, request, (err, response) => (err ? reject(err) : resolveCall(response)));
  });
}

/**
 * CPU time (ms) a process's main thread has used, from /proc (Linux; null elsewhere). The
 * server's main thread does all of its per-request work but the ORT run (in session workers).
 */
function mainThreadCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat (11 and 12 after the name), in clock ticks.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
const CLOCK_TICKS = 100;

type Duration = { count: number; ns: number };
type InferenceStats = Record<
  'success' | 'queue' | 'compute_input' | 'compute_infer' | 'compute_output',
  Duration
>;

/** The server's cumulative statistics of a model (OIP ModelStatistics), as numbers. */
async function modelStatistics(server: RunningServer, model: string): Promise<InferenceStats> {
  const response = (await call(server.oip, 'ModelStatistics', { name: model })) as {
    model_stats: Array<{ inference_stats: Record<string, { count: string; ns: string }> }>;
  };
  const raw = response.model_stats[0]!.inference_stats;
  const get = (key: keyof InferenceStats) => ({ count: Number(raw[key]!.count), ns: Number(raw[key]!.ns) });
  return {
    success: get('success'),
    queue: get('queue'),
    compute_input: get('compute_input'),
    compute_infer: get('compute_infer'),
    compute_output: get('compute_output'),
  };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const startedAt = Date.now();
  const loadAtStart = loadavg();
  const work = mkdtempSync(join(args.keep ?? tmpdir(), 'eb-bench-serve-'));
  const repo = join(work, 'repo');
  const others = join(work, 'others');
  const servers: RunningServer[] = [];
  let floor: FloorServer | null = null;
  const grpcioClients: GrpcioClient[] = [];
  const sessions: ort.InferenceSession[] = [];
  // Interrupted: the server processes and the temporary models go too.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const s of servers) s.child.kill('SIGKILL');
      floor?.child.kill('SIGKILL');
      if (!args.keep) rmSync(work, { recursive: true, force: true });
      process.exit(130);
    });
  }
  try {
    const { served, files } = writeModels(repo, others);
    const defaults = defaultConfig(repo);
    const threads = defaults.intraOpThreads;

    // The input: the bench text through the served package's tokenizer.
    const tokenizer = WordPieceTokenizer.fromDirectory(join(repo, served, '1', 'tokenizer'));
    const encoding = tokenizer.encode(TEXT, undefined, SEQ);
    if (encoding.inputIds.length !== SEQ)
      throw new Error(`the bench text is ${encoding.inputIds.length} tokens`);
    const int64 = (values: number[]) => BigInt64Array.from(values, (v) => BigInt(v));
    const columns = {
      input_ids: int64(encoding.inputIds),
      attention_mask: int64(encoding.attentionMask),
      token_type_ids: int64(encoding.tokenTypeIds),
    };
    const feeds = Object.fromEntries(
      Object.entries(columns).map(([name, data]) => [name, new ort.Tensor('int64', data, [1, SEQ])]),
    );

    // --- models: in-process ORT, interleaved rounds --------------------------------------------
    // The server's own session factory, so in-process runs use exactly a server worker's options.
    const inProcess: Array<{ file: ModelFile; session: ort.InferenceSession; samples: number[] }> = [];
    for (const file of files) {
      const { session } = await createSessionWithFallback(file.path, {
        providers: ['cpu'],
        intraOpThreads: threads,
      });
      sessions.push(session);
      for (let i = 0; i < WARMUP_RUNS; i++) await session.run(feeds);
      inProcess.push({ file, session, samples: [] });
    }
    log(`models: ${PLAN.rounds} rounds, intra-op threads ${threads}`);
    for (let r = 0; r < PLAN.rounds; r++) {
      for (const [i, m] of inProcess.entries()) {
        for (let k = 0; k < PLAN.modelRuns[i]!; k++) m.samples.push(await timed(() => m.session.run(feeds)));
      }
    }
    const byRole = Object.fromEntries(inProcess.map((m) => [m.file.role, m]));
    const p50 = (role: string) => percentile(byRole[role]!.samples, 0.5);
    const models = Object.fromEntries(
      inProcess.map((m) => [
        m.file.role,
        { ...summary(m.samples), modelMB: round3(m.file.bytes / 1e6), architecture: m.file.architecture },
      ]),
    );
    // The served model's in-process session stays for the gRPC comparison; the others go.
    const eb = byRole.efficientbert!;
    for (const m of inProcess) if (m !== eb) await m.session.release();

    // --- servers ---------------------------------------------------------------------------------
    const specs: ServerSpec[] = [
      { name: 'current', entry: CURRENT_SERVER, flags: [], note: 'this checkout, default settings' },
    ];
    if (!args.quick && !args.tiny) {
      specs.push({
        name: 'current-delay1ms',
        entry: CURRENT_SERVER,
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
    // Every server is up for the whole run (idle ones sleep: spinning is off), so the variants
    // can be measured in alternation.
    const all = [
      ...specs,
      ...specs.filter((s) => !s.flags.includes('--max-queue-delay-ms')).map(batchingOff),
    ];
    for (const spec of all) servers.push(await startServer(spec, repo));
    log(`servers: ${all.map((s) => s.name).join(', ')}`);

    const classifyRequest = { model_name: served, inputs: [{ text: TEXT }], truncation: 'TRUNCATE' };
    const inferRequest = {
      model_name: served,
      inputs: Object.keys(columns).map((name) => ({ name, datatype: 'INT64', shape: ['1', String(SEQ)] })),
      raw_input_contents: Object.values(columns).map((c) => Buffer.from(c.buffer)),
    };
    const check = (response: unknown) => {
      const result = (response as { results: Array<{ token_count: number }> }).results[0]!;
      if (result.token_count !== SEQ) throw new Error(`server tokenized ${result.token_count} tokens`);
    };
    for (const s of servers) {
      for (let i = 0; i < GRPC_WARMUP_RUNS; i++) {
        check(await call(s.classify, 'Classify', classifyRequest));
        await call(s.oip, 'ModelInfer', inferRequest);
        await call(s.oip, 'ServerLive', {});
      }
    }

    // --- gRPC against in-process, interleaved -----------------------------------------------------
    const latencyServers = servers.filter((s) => specs.includes(s.spec));
    const measured = latencyServers[0]!;
    // Two in-process baselines: the bare ORT run on the request's token ids (what ModelInfer
    // serves) and the whole of a Classify done in-process (tokenize, build the tensors, run,
    // softmax), so that each gRPC path is set against the same work done without serving it.
    const latency: Record<string, number[]> = { inProcess: [], inProcessClassify: [] };
    const classifyInProcess = async () => {
      const e = tokenizer.encode(TEXT, undefined, SEQ);
      const tensor = (values: number[]) => new ort.Tensor('int64', int64(values), [1, SEQ]);
      const out = await eb.session.run({
        input_ids: tensor(e.inputIds),
        attention_mask: tensor(e.attentionMask),
        token_type_ids: tensor(e.tokenTypeIds),
      });
      return softmax(out.logits!.data as Float32Array);
    };
    for (const s of latencyServers) latency[`${s.spec.name}:classify`] = [];
    latency['current:modelInfer'] = [];
    // The two hand-offs no server of this design avoids, alone: an empty RPC (ServerLive) and a
    // round trip to an idle worker thread carrying the request's tensors (transferred) and back.
    latency['floor:emptyRpc'] = [];
    latency['floor:workerRoundTrip'] = [];
    // The transport floor, and the grpcio client on it and on our server (same request bytes).
    floor = await startFloorServer(eb.file.path, threads);
    latency['floor:grpcJsTransport'] = [];
    const classifyMethod = loadProtoRoot().lookupService(SERVICE_NAMES.classify).methods.Classify!;
    classifyMethod.resolve();
    const requestType = classifyMethod.resolvedRequestType!;
    const classifyBytes = Buffer.from(requestType.encode(requestType.fromObject(classifyRequest)).finish());
    const requestFile = join(work, 'classify-request.bin');
    writeFileSync(requestFile, classifyBytes);
    const withGrpcio = grpcioAvailable();
    const grpcio = withGrpcio
      ? {
          current: startGrpcioClient(`127.0.0.1:${measured.port}`, CLASSIFY_PATH, requestFile),
          floor: startGrpcioClient(`127.0.0.1:${floor.port}`, CLASSIFY_PATH, requestFile),
        }
      : null;
    if (grpcio) {
      grpcioClients.push(grpcio.current, grpcio.floor);
      latency['current:classify:grpcio'] = [];
      latency['floor:grpcioTransport'] = [];
    }
    for (let i = 0; i < GRPC_WARMUP_RUNS; i++) {
      await floor.call(classifyBytes);
      await grpcio?.current.call();
      await grpcio?.floor.call();
    }
    const echo = new Worker(
      "require('node:worker_threads').parentPort.on('message', (m) => require('node:worker_threads').parentPort.postMessage(m.id))",
      { eval: true },
    );
    const roundTrip = (id: number) =>
      new Promise<void>((resolveTrip) => {
        const data = Object.values(columns).map((c) => c.slice());
        echo.once('message', () => resolveTrip());
        echo.postMessage(
          { id, data },
          data.map((d) => d.buffer as ArrayBuffer),
        );
      });
    log(`gRPC latency: ${PLAN.rounds} rounds of ${PLAN.grpcRuns} requests per path`);
    const statsBefore = await modelStatistics(latencyServers[0]!, served);
    const cpuBefore = latencyServers.map((s) => mainThreadCpuMs(s.child.pid!));
    // One sample of every path in turn, request by request: load from other processes, which
    // drifts within seconds on this machine, then falls on every path alike.
    for (let r = 0; r < PLAN.rounds; r++) {
      for (let k = 0; k < PLAN.grpcRuns; k++) {
        latency.inProcess!.push(await timed(() => eb.session.run(feeds)));
        latency.inProcessClassify!.push(await timed(classifyInProcess));
        for (const s of latencyServers) {
          latency[`${s.spec.name}:classify`]!.push(
            await timed(() => call(s.classify, 'Classify', classifyRequest)),
          );
        }
        latency['current:modelInfer']!.push(
          await timed(() => call(measured.oip, 'ModelInfer', inferRequest)),
        );
        latency['floor:emptyRpc']!.push(await timed(() => call(measured.oip, 'ServerLive', {})));
        latency['floor:workerRoundTrip']!.push(await timed(() => roundTrip(k)));
        latency['floor:grpcJsTransport']!.push(await timed(() => floor!.call(classifyBytes)));
        if (grpcio) {
          latency['current:classify:grpcio']!.push(await grpcio.current.call());
          latency['floor:grpcioTransport']!.push(await grpcio.floor.call());
        }
      }
    }
    await echo.terminate();
    const statsAfter = await modelStatistics(latencyServers[0]!, served);
    // Server main-thread CPU per request: what the server itself spends, free of the waiting for a
    // core that a loaded machine adds to every hand-off.
    const serverCpuMsPerRequest = Object.fromEntries(
      latencyServers.map((s, i) => {
        const after = mainThreadCpuMs(s.child.pid!);
        const before = cpuBefore[i];
        // The current server also answered the ModelInfer, ServerLive and grpcio requests.
        const requests = PLAN.rounds * PLAN.grpcRuns * (i === 0 ? (grpcio ? 4 : 3) : 1);
        return [s.spec.name, after === null || before == null ? null : round3((after - before) / requests)];
      }),
    );
    const mean = (samples: readonly number[]) => samples.reduce((a, b) => a + b, 0) / samples.length;
    const served1 = [...latency['current:classify']!, ...latency['current:modelInfer']!];
    // Where the time of the current server's requests went, by its own statistics (means).
    const serverSide = {
      requests: statsAfter.success.count - statsBefore.success.count,
      mainThreadCpuMsPerRequest: serverCpuMsPerRequest,
      meanMs: {
        inProcess: round3(mean(latency.inProcess!)),
        clientObserved: round3(mean(served1)),
        ...Object.fromEntries(
          (['success', 'queue', 'compute_input', 'compute_infer', 'compute_output'] as const).map((key) => [
            key === 'success' ? 'serverTotal' : key,
            round3(
              (statsAfter[key].ns - statsBefore[key].ns) /
                1e6 /
                Math.max(1, statsAfter[key].count - statsBefore[key].count),
            ),
          ]),
        ),
      },
      note: 'compute_infer spans the hand-off to the session worker thread and back plus the ORT run; serverTotal - compute_* is tokenization, gRPC handling and batching in the server; clientObserved - serverTotal is the client, HTTP/2 and the socket',
    };
    const inProcessP50 = percentile(latency.inProcess!, 0.5);
    const inProcessClassifyP50 = percentile(latency.inProcessClassify!, 0.5);
    // Classify paths against the whole Classify done in-process; ModelInfer and the transport floor
    // (token ids in, no tokenizing) against the bare ORT run.
    const overheads = (path: string, samples: number[]) => {
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
    const grpcLatency = Object.fromEntries(
      Object.entries(latency).map(([path, samples]) => [
        path,
        { ...summary(samples), ...overheads(path, samples) },
      ]),
    );

    // --- throughput --------------------------------------------------------------------------------
    // Closed loop: each client sends its next request when the last one is answered. Each cell is
    // cut into slices taken in turn across the servers (so load from other processes spreads over
    // every variant); only requests answered inside a slice's window count, and the requests still
    // running at its end are drained before the next server's slice.
    const sliceSeconds = PLAN.loadSeconds / PLAN.slices;
    log(
      `throughput: ${PLAN.slices} x ${sliceSeconds} s per cell, concurrency ${PLAN.concurrency.join(', ')}`,
    );
    const throughput: Record<string, Record<string, { rps: number; p50Ms: number; p99Ms: number }>> = {};
    for (const s of servers) throughput[s.spec.name] = {};
    for (const concurrency of PLAN.concurrency) {
      const cells = new Map(servers.map((s) => [s, { answered: 0, seconds: 0, samples: [] as number[] }]));
      for (let slice = 0; slice < PLAN.slices; slice++) {
        for (const s of servers) {
          const cell = cells.get(s)!;
          const started = performance.now();
          const until = started + sliceSeconds * 1000;
          const client = async () => {
            while (performance.now() < until) {
              const ms = await timed(() => call(s.classify, 'Classify', classifyRequest));
              if (performance.now() <= until) {
                cell.answered++;
                cell.samples.push(ms);
              }
            }
          };
          await Promise.all(Array.from({ length: concurrency }, client));
          cell.seconds += sliceSeconds;
        }
      }
      for (const [s, cell] of cells) {
        throughput[s.spec.name]![String(concurrency)] = {
          rps: Number((cell.answered / cell.seconds).toFixed(2)),
          p50Ms: round3(percentile(cell.samples, 0.5)),
          p99Ms: round3(percentile(cell.samples, 0.99)),
        };
      }
    }

    // --- claims --------------------------------------------------------------------------------------
    const rps = (server: string, c: number) => throughput[server]?.[String(c)]?.rps ?? null;
    const current = grpcLatency['current:classify']!;
    const result = {
      bench: 'serve',
      mode: args.tiny ? 'tiny' : args.quick ? 'quick' : 'full',
      claims: {
        efficientbertVsBertBase: {
          speedupP50: ratio(p50('bertBase'), p50('efficientbert')),
          paper: 4.4,
        },
        int8VsFp32: {
          speedupP50: ratio(p50('efficientbert'), p50('efficientbertInt8')),
          target: 1.4,
          met: p50('efficientbert') / p50('efficientbertInt8') >= 1.4,
        },
        grpcOverheadP50: {
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
        },
        batchingOnVsOff: Object.fromEntries(
          PLAN.concurrency.map((c) => [
            String(c),
            ratio(rps('current', c) ?? 0, rps('current/batching-off', c) ?? Number.NaN),
          ]),
        ),
        ...(throughput.baseline
          ? {
              currentVsBaseline: {
                classifyP50: ratio(
                  grpcLatency['baseline:classify']!.p50Ms,
                  grpcLatency['current:classify']!.p50Ms,
                ),
                throughput: Object.fromEntries(
                  PLAN.concurrency.map((c) => [String(c), ratio(rps('current', c)!, rps('baseline', c)!)]),
                ),
              },
            }
          : {}),
      },
      models,
      grpcLatency,
      serverSide,
      throughputRps: throughput,
      servers: all.map((s) => ({ name: s.name, note: s.note, flags: s.flags })),
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
          factory: 'services/inference/session-factory',
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
    for (const c of grpcioClients) c.close();
    if (floor) {
      floor.close();
      floor.child.kill('SIGTERM');
    }
    for (const s of sessions) await s.release().catch(() => undefined);
    if (!args.keep) rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
