/**
 * Inference servers under measurement (services/inference/main.ts of this checkout, or another
 * checkout's entry file) as child processes on loopback, with a Classify and an OIP client each.
 */
import type { ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { clientConstructor } from '../../../services/grpc/protos';
import { loadPackageDefinition, SERVICE_NAMES } from '../../../services/inference/grpc/protos';
import { spawnListening, stopChild } from './process';

/** This checkout's inference server. */
export const INFERENCE_SERVER = join(__dirname, '..', '..', '..', 'services', 'inference', 'main.ts');

/** The bench's variant of it with `--instances 1` (its session on the main thread). */
export const ONE_INSTANCE = 'current-1instance';

export interface ServerSpec {
  name: string;
  /** An entry file at services/inference/main.ts of its checkout, which is where it is started from. */
  entry: string;
  flags: string[];
  /** What the variant shows, for the reader of the JSON. */
  note: string;
}

type UnaryMethod = (
  request: unknown,
  callback: (err: grpc.ServiceError | null, response: unknown) => void,
) => grpc.ClientUnaryCall;
export type Client = grpc.Client & Record<string, UnaryMethod>;

export interface RunningServer {
  spec: ServerSpec;
  child: ChildProcess;
  port: number;
  classify: Client;
  oip: Client;
}

const definition = loadPackageDefinition();
const ClassifyClient = clientConstructor(definition, SERVICE_NAMES.classify);
const OipClient = clientConstructor(definition, SERVICE_NAMES.oip);

/** Default settings but loopback, any free port and no metrics port, plus the spec's flags. */
export async function startServer(spec: ServerSpec, repo: string): Promise<RunningServer> {
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

export async function stopServer(server: RunningServer): Promise<void> {
  server.classify.close();
  server.oip.close();
  await stopChild(server.child);
}

export function call(client: Client, method: string, request: unknown): Promise<unknown> {
  return new Promise((resolveCall, reject) => {
    client[method]!.call(client, request, (err, response) => (err ? reject(err) : resolveCall(response)));
  });
}

const bytes = (b: Buffer) => b;

/** A unary call of `method` (a /package.Service/Method path) with encoded bytes in and out. */
export function unaryBytes(client: grpc.Client, method: string, request: Buffer): Promise<Buffer> {
  return new Promise((resolveCall, reject) =>
    client.makeUnaryRequest(method, bytes, bytes, request, (err, response) =>
      err ? reject(err) : resolveCall(response!),
    ),
  );
}

type Duration = { count: number; ns: number };
export type InferenceStats = Record<
  'success' | 'queue' | 'compute_input' | 'compute_infer' | 'compute_output',
  Duration
>;

/** The server's cumulative statistics of a model (OIP ModelStatistics), as numbers. */
export async function modelStatistics(server: RunningServer, model: string): Promise<InferenceStats> {
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
