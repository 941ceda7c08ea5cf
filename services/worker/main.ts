/**
 * The Temporal worker process: polls `efficientbert` (workflows + light activities) and
 * `efficientbert-gpu` (training activities, one per GPU by default). Configuration by environment:
 *   TEMPORAL_ADDRESS (127.0.0.1:7233), TEMPORAL_NAMESPACE (default),
 *   EFFICIENTBERT_ARTIFACTS (./.efficientbert/artifacts), EFFICIENTBERT_MODEL_REPO (./.efficientbert/models,
 *   where the search's winner is published for the inference server: a directory, or `store` for
 *   the artifact store's model registry),
 *   EFFICIENTBERT_TRAINER (kd: warm-up KD training with tfjs; fake: the deterministic stand-in),
 *   EFFICIENTBERT_DATA (GLUE + tokenizer folder for specs without data_dir; ../shared/data),
 *   EFFICIENTBERT_QUEUES (light,gpu), EFFICIENTBERT_GPU_CONCURRENCY (GPUs in CUDA_VISIBLE_DEVICES, else 1),
 *   EFFICIENTBERT_LIGHT_CONCURRENCY (8), EFFICIENTBERT_WORKFLOW_BUNDLE (prebuilt bundle file, optional).
 * SIGTERM/SIGINT shut down gracefully (running trainings are cancelled, which kills their child).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { DEFAULT_ARTIFACTS, openArtifactStore } from '../../efficientbert/artifacts';
import { createActivities, type TrainerName } from '../../workflows/activities';
import { GPU_TASK_QUEUE, TASK_QUEUE } from '../../workflows/definitions';

export interface WorkerConfig {
  readonly address: string;
  readonly namespace: string;
  readonly artifactsRoot: string;
  readonly modelRepository: string;
  readonly trainer: TrainerName;
  readonly queues: readonly ('light' | 'gpu')[];
  readonly gpuConcurrency: number;
  readonly lightConcurrency: number;
  readonly workflowBundlePath?: string;
  readonly connectTimeoutMs: number;
  readonly heartbeatEveryMs?: number;
}

function gpuCount(env: NodeJS.ProcessEnv): number {
  const visible = env.CUDA_VISIBLE_DEVICES?.trim();
  if (visible && visible !== '-1') return visible.split(',').filter((d) => d.trim() !== '').length;
  return 1;
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`${name} must be a positive integer, got '${value}'`);
  return n;
}

function trainerName(value: string | undefined): TrainerName {
  if (value === undefined || value === '' || value === 'kd') return 'kd';
  if (value === 'fake') return 'fake';
  throw new RangeError(`EFFICIENTBERT_TRAINER must be kd or fake, got '${value}'`);
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const queues = (env.EFFICIENTBERT_QUEUES ?? 'light,gpu').split(',').map((q) => q.trim());
  for (const q of queues)
    if (q !== 'light' && q !== 'gpu') throw new RangeError(`unknown queue '${q}' (light, gpu)`);
  return {
    address: env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    artifactsRoot: env.EFFICIENTBERT_ARTIFACTS ?? DEFAULT_ARTIFACTS,
    modelRepository: env.EFFICIENTBERT_MODEL_REPO ?? path.join('.efficientbert', 'models'),
    trainer: trainerName(env.EFFICIENTBERT_TRAINER),
    queues: queues as ('light' | 'gpu')[],
    gpuConcurrency: positiveInt(
      'EFFICIENTBERT_GPU_CONCURRENCY',
      env.EFFICIENTBERT_GPU_CONCURRENCY,
      gpuCount(env),
    ),
    lightConcurrency: positiveInt('EFFICIENTBERT_LIGHT_CONCURRENCY', env.EFFICIENTBERT_LIGHT_CONCURRENCY, 8),
    connectTimeoutMs: positiveInt('TEMPORAL_CONNECT_TIMEOUT_MS', env.TEMPORAL_CONNECT_TIMEOUT_MS, 120_000),
    ...(env.EFFICIENTBERT_WORKFLOW_BUNDLE ? { workflowBundlePath: env.EFFICIENTBERT_WORKFLOW_BUNDLE } : {}),
    ...(env.EFFICIENTBERT_HEARTBEAT_MS
      ? { heartbeatEveryMs: positiveInt('EFFICIENTBERT_HEARTBEAT_MS', env.EFFICIENTBERT_HEARTBEAT_MS, 1000) }
      : {}),
  };
}

/** The first connect is not retried by the SDK: retry it here until `timeoutMs`. */
export async function connectWithRetry(address: string, timeoutMs: number): Promise<NativeConnection> {
  const deadline = Date.now() + timeoutMs;
  let delay = 250;
  for (;;) {
    try {
      return await NativeConnection.connect({ address });
    } catch (err) {
      if (Date.now() + delay > deadline) throw err;
      console.error(
        `[worker] Temporal at ${address} not reachable yet (${(err as Error).message}); retrying`,
      );
      await sleep(delay);
      delay = Math.min(delay * 2, 5000);
    }
  }
}

export interface RunningWorkers {
  readonly workers: Worker[];
  /** Resolves when every worker has stopped. */
  readonly done: Promise<void>;
  shutdown(): void;
}

export async function startWorkers(config: WorkerConfig): Promise<RunningWorkers> {
  const connection = await connectWithRetry(config.address, config.connectTimeoutMs);
  const activities = createActivities({
    store: openArtifactStore(config.artifactsRoot),
    modelRepository: config.modelRepository,
    trainer: config.trainer,
    ...(config.heartbeatEveryMs ? { heartbeatEveryMs: config.heartbeatEveryMs } : {}),
  });
  const base = { connection, namespace: config.namespace, shutdownGraceTime: '5s' } as const;
  const workers: Worker[] = [];
  if (config.queues.includes('light')) {
    const workflowSource: Partial<WorkerOptions> = config.workflowBundlePath
      ? { workflowBundle: { code: readFileSync(config.workflowBundlePath, 'utf8') } }
      : { workflowsPath: require.resolve('../../workflows') };
    workers.push(
      await Worker.create({
        ...base,
        ...workflowSource,
        taskQueue: TASK_QUEUE,
        activities: {
          storeSearchOutcome: activities.storeSearchOutcome,
          publishModels: activities.publishModels,
        },
        maxConcurrentActivityTaskExecutions: config.lightConcurrency,
      }),
    );
  }
  if (config.queues.includes('gpu')) {
    workers.push(
      await Worker.create({
        ...base,
        taskQueue: GPU_TASK_QUEUE,
        activities: { trainCandidate: activities.trainCandidate },
        maxConcurrentActivityTaskExecutions: config.gpuConcurrency,
      }),
    );
  }
  const done = Promise.all(workers.map((w) => w.run())).then(async () => {
    await connection.close();
  });
  return {
    workers,
    done,
    shutdown: () => {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    },
  };
}

if (require.main === module) {
  (async () => {
    const config = configFromEnv();
    const running = await startWorkers(config);
    console.log(
      `[worker] pid ${process.pid} polling ${config.queues.join('+')} at ${config.address} ` +
        `(gpu concurrency ${config.gpuConcurrency}); ready`,
    );
    await running.done;
    console.log('[worker] stopped');
  })().catch((err) => {
    console.error('[worker] fatal:', err);
    process.exit(1);
  });
}
