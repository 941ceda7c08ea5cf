/**
 * Server settings from command-line flags, falling back to EFFICIENTBERT_INFERENCE_* environment
 * variables (flag --max-batch-size: variable EFFICIENTBERT_INFERENCE_MAX_BATCH_SIZE), then defaults.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { STORE_MODEL_REPOSITORY } from '../../efficientbert/artifacts/model-registry';
import { DEFAULT_ARTIFACTS } from '../../efficientbert/artifacts/open';
import {
  readServerSecurity,
  SECURITY_FILE_OPTIONS,
  SECURITY_USAGE,
  type SecurityOption,
  type ServerSecurity,
} from '../grpc/security-config';
import type { BatchingOptions } from './runtime/batcher';

export const DEFAULT_MODEL_CACHE = join('.efficientbert', 'model-cache');

export interface InferenceServerConfig {
  /** Triton-layout model repository: the folder served (in store mode the cache pulled into). */
  repository: string;
  /**
   * Store mode (`--repository store`): the artifact store, a directory or s3:// URL, whose
   * published models are pulled into `repository`; null when the folder is the repository itself.
   */
  modelStore: string | null;
  host: string;
  /** gRPC port (8001 like Triton; 0 picks a free one). */
  port: number;
  /** Prometheus metrics port (8002 like Triton; 0 picks a free one; null disables). */
  metricsPort: number | null;
  /** Execution providers in preference order; unavailable accelerators fall back to cpu. */
  providers: string[];
  /** Session worker threads per model version. */
  instances: number;
  /** ONNX Runtime intra-op threads per session: instances x intraOpThreads <= cores. */
  intraOpThreads: number;
  batching: BatchingOptions;
  /** Repository polling interval; 0 turns polling off (load/unload by RPC only). */
  pollIntervalMs: number;
  /** Larger requests are refused with RESOURCE_EXHAUSTED by grpc-js. */
  maxReceiveMessageBytes: number;
  /** How long health reports NOT_SERVING before the server stops accepting requests. */
  shutdownGraceMs: number;
  /** After this long, requests still running at shutdown are cancelled. */
  shutdownTimeoutMs: number;
  /** TLS and bearer tokens of the gRPC listener (the metrics endpoint stays plain HTTP). */
  security: ServerSecurity;
}

export function defaultConfig(repository: string): InferenceServerConfig {
  const cores = availableParallelism();
  const instances = Math.min(2, cores);
  return {
    repository,
    modelStore: null,
    host: '0.0.0.0',
    port: 8001,
    metricsPort: 8002,
    providers: ['cpu'],
    instances,
    intraOpThreads: Math.max(1, Math.floor(cores / instances)),
    // No queue delay by default (Triton's default too): a request that finds a session idle runs at
    // once, and batches form from what queues while the sessions are busy. A delay only pays where
    // a batch costs about what one row does (GPUs) and load is light; at one request at a time it
    // is pure latency (a 1 ms timer cost 1.5-2 ms per request here).
    batching: { enabled: true, maxBatchSize: 32, maxQueueDelayMs: 0, maxQueueSize: 1024 },
    pollIntervalMs: 0,
    maxReceiveMessageBytes: 4 * 1024 * 1024,
    shutdownGraceMs: 0,
    shutdownTimeoutMs: 30_000,
    security: {},
  };
}

const FLAGS = {
  repository: { type: 'string' },
  artifacts: { type: 'string' },
  'model-cache': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'metrics-port': { type: 'string' },
  providers: { type: 'string' },
  instances: { type: 'string' },
  'intra-op-threads': { type: 'string' },
  'dynamic-batching': { type: 'string' },
  'max-batch-size': { type: 'string' },
  'max-queue-delay-ms': { type: 'string' },
  'max-queue-size': { type: 'string' },
  'poll-interval-ms': { type: 'string' },
  'max-receive-message-bytes': { type: 'string' },
  'shutdown-grace-ms': { type: 'string' },
  'shutdown-timeout-ms': { type: 'string' },
  ...(Object.fromEntries(SECURITY_FILE_OPTIONS.map((o) => [o, { type: 'string' }])) as Record<
    (typeof SECURITY_FILE_OPTIONS)[number],
    { type: 'string' }
  >),
  help: { type: 'boolean' },
} as const;

export const USAGE = `usage: inference --repository DIR|store [options]
  --repository DIR                 model repository (<model>/<version>/model.onnx + model.json)
  --repository store               the models workers published to the artifact store, pulled
                                   into --model-cache (the workers' EFFICIENTBERT_MODEL_REPO=store)
  --artifacts LOCATION             store mode: the artifact store, a directory or s3://bucket/prefix
                                   (default $EFFICIENTBERT_ARTIFACTS, else .efficientbert/artifacts)
  --model-cache DIR                store mode: local folder of pulled models
                                   (default .efficientbert/model-cache)
  --host HOST                      listen address (default 0.0.0.0)
  --port N                         gRPC port (default 8001)
  --metrics-port N|off             Prometheus /metrics port (default 8002)
  --providers LIST                 execution providers, e.g. cuda,cpu (default cpu)
  --instances N                    session workers per model (default min(2, cores))
  --intra-op-threads N             threads per session (default cores / instances)
  --dynamic-batching on|off        (default on)
  --max-batch-size N               rows per execution (default 32)
  --max-queue-delay-ms N           wait for a fuller batch at most this long (default 0)
  --max-queue-size N               queued requests before UNAVAILABLE (default 1024)
  --poll-interval-ms N             reload changed models every N ms; 0 = off (default 0)
  --max-receive-message-bytes N    (default 4194304)
  --shutdown-grace-ms N            NOT_SERVING before stopping on SIGTERM (default 0)
  --shutdown-timeout-ms N          cancel what still runs after N ms (default 30000)
${SECURITY_USAGE}
Each flag can also be set as EFFICIENTBERT_INFERENCE_<FLAG> (upper case, _ for -); the tokens
themselves only as EFFICIENTBERT_INFERENCE_AUTH_TOKEN / EFFICIENTBERT_INFERENCE_READ_ONLY_TOKEN.
Without tokens anyone who reaches the port may call everything, model load/unload included.`;

export class ConfigError extends Error {}

function integer(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min)
    throw new ConfigError(`--${name} must be an integer >= ${min}, got '${value}'`);
  return n;
}

function onOff(name: string, value: string): boolean {
  if (value === 'on' || value === 'true' || value === '1') return true;
  if (value === 'off' || value === 'false' || value === '0') return false;
  throw new ConfigError(`--${name} must be on or off, got '${value}'`);
}

export function parseConfig(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): InferenceServerConfig | 'help' {
  const { values } = parseArgs({ args: argv, options: FLAGS, strict: true });
  if (values.help) return 'help';
  const envName = (flag: string) => `EFFICIENTBERT_INFERENCE_${flag.toUpperCase().replace(/-/g, '_')}`;
  const get = (flag: Exclude<keyof typeof FLAGS, 'help'>): string | undefined =>
    values[flag] ?? env[envName(flag)];
  const repository = get('repository');
  if (!repository) throw new ConfigError('--repository is required');
  // The store-mode flags are ignored for a directory, so an image can set their defaults for both.
  const config =
    repository === STORE_MODEL_REPOSITORY
      ? {
          ...defaultConfig(get('model-cache') ?? DEFAULT_MODEL_CACHE),
          modelStore: get('artifacts') ?? env.EFFICIENTBERT_ARTIFACTS ?? DEFAULT_ARTIFACTS,
        }
      : defaultConfig(repository);
  const set = <T>(
    flag: Exclude<keyof typeof FLAGS, 'help'>,
    apply: (value: string) => T,
    assign: (v: T) => void,
  ) => {
    const value = get(flag);
    if (value !== undefined) assign(apply(value));
  };
  set(
    'host',
    (v) => v,
    (v) => (config.host = v),
  );
  set(
    'port',
    (v) => integer('port', v, 0),
    (v) => (config.port = v),
  );
  set(
    'metrics-port',
    (v) => (v === 'off' ? null : integer('metrics-port', v, 0)),
    (v) => (config.metricsPort = v),
  );
  set(
    'providers',
    (v) =>
      v
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    (v) => (config.providers = v),
  );
  set(
    'instances',
    (v) => integer('instances', v, 1),
    (v) => {
      config.instances = v;
      config.intraOpThreads = Math.max(1, Math.floor(availableParallelism() / v));
    },
  );
  set(
    'intra-op-threads',
    (v) => integer('intra-op-threads', v, 1),
    (v) => (config.intraOpThreads = v),
  );
  set(
    'dynamic-batching',
    (v) => onOff('dynamic-batching', v),
    (v) => (config.batching.enabled = v),
  );
  set(
    'max-batch-size',
    (v) => integer('max-batch-size', v, 1),
    (v) => (config.batching.maxBatchSize = v),
  );
  set(
    'max-queue-delay-ms',
    (v) => integer('max-queue-delay-ms', v, 0),
    (v) => (config.batching.maxQueueDelayMs = v),
  );
  set(
    'max-queue-size',
    (v) => integer('max-queue-size', v, 1),
    (v) => (config.batching.maxQueueSize = v),
  );
  set(
    'poll-interval-ms',
    (v) => integer('poll-interval-ms', v, 0),
    (v) => (config.pollIntervalMs = v),
  );
  set(
    'max-receive-message-bytes',
    (v) => integer('max-receive-message-bytes', v, 1024),
    (v) => (config.maxReceiveMessageBytes = v),
  );
  set(
    'shutdown-grace-ms',
    (v) => integer('shutdown-grace-ms', v, 0),
    (v) => (config.shutdownGraceMs = v),
  );
  set(
    'shutdown-timeout-ms',
    (v) => integer('shutdown-timeout-ms', v, 0),
    (v) => (config.shutdownTimeoutMs = v),
  );
  // The error names the flag or the variable the user set, so each source keeps its label.
  const lookup = (option: SecurityOption) => {
    const flag = (values as Record<string, string | undefined>)[option];
    if (flag !== undefined) return { label: `--${option}`, value: flag };
    const value = env[envName(option)];
    return value === undefined || value === '' ? undefined : { label: envName(option), value };
  };
  try {
    config.security = readServerSecurity(lookup);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  return config;
}
