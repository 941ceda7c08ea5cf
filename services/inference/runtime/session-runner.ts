/**
 * What runs a model version's inferences: its sessions and how requests reach them. Several
 * instances are a pool of worker threads (session-pool.ts); one instance is a session on the main
 * thread (inline-session.ts).
 */
import { InlineSession } from './inline-session';
import { SessionPool } from './session-pool';
import type { Feeds, TensorInfo, WorkerInit } from './worker-protocol';

export interface PoolDescription {
  providers: string[];
  fallbackReason?: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

export interface SessionRunner {
  /** Inferences it runs at once. */
  readonly size: number;
  readonly description: PoolDescription;
  run(feeds: Feeds): Promise<Feeds>;
  /** Stops the sessions; callers drain their requests first. */
  close(): Promise<void>;
}

export interface SessionRunnerOptions extends Omit<WorkerInit, 'modelPath'> {
  instances: number;
}

export function createSessionRunner(
  modelPath: string,
  options: SessionRunnerOptions,
): Promise<SessionRunner> {
  const init: WorkerInit = {
    modelPath,
    providers: options.providers,
    intraOpThreads: options.intraOpThreads,
  };
  if (options.instances === 1) return InlineSession.create(init);
  return SessionPool.create(modelPath, options);
}
