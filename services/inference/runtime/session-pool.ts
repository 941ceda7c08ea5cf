/**
 * A fixed set of worker threads, each holding one ONNX Runtime session of the same model file.
 * `run` hands the feeds to an idle worker (or waits for one); a worker that dies is replaced and
 * its in-flight run fails rather than hanging.
 */
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../../threads/ts-worker';
import type { PoolDescription, SessionRunner, SessionRunnerOptions } from './session-runner';
import type { Feeds, RunMessage, WorkerInit, WorkerReply } from './worker-protocol';

const SESSION_WORKER = join(__dirname, 'session-worker.ts');

interface PendingRun {
  resolve(outputs: Feeds): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  running: { id: number; run: PendingRun } | null;
}

type ReadyReply = Extract<WorkerReply, { kind: 'ready' }>;

/** Starts one session worker and resolves once its session exists. */
function startWorker(init: WorkerInit): Promise<{ worker: Worker; ready: ReadyReply }> {
  const worker = startTsWorker(SESSION_WORKER, init);
  return new Promise((resolve, reject) => {
    const onMessage = (reply: WorkerReply) => {
      cleanup();
      if (reply.kind === 'ready') resolve({ worker, ready: reply });
      else {
        void worker.terminate();
        reject(
          new Error(reply.kind === 'failed' ? reply.message : `unexpected worker reply '${reply.kind}'`),
        );
      }
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`session worker exited with code ${code} before it was ready`));
    };
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

export class SessionPool implements SessionRunner {
  private readonly slots: Slot[] = [];
  private readonly waiting: Array<() => void> = [];
  private nextId = 0;
  private closed = false;

  private constructor(
    private readonly init: WorkerInit,
    readonly description: PoolDescription,
  ) {}

  static async create(modelPath: string, options: SessionRunnerOptions): Promise<SessionPool> {
    const init: WorkerInit = {
      modelPath,
      providers: options.providers,
      intraOpThreads: options.intraOpThreads,
    };
    const started = await Promise.allSettled(
      Array.from({ length: options.instances }, () => startWorker(init)),
    );
    const failure = started.find((s) => s.status === 'rejected');
    if (failure) {
      await Promise.all(
        started.map((s) => (s.status === 'fulfilled' ? s.value.worker.terminate() : undefined)),
      );
      throw (failure as PromiseRejectedResult).reason;
    }
    const workers = started.map(
      (s) => (s as PromiseFulfilledResult<{ worker: Worker; ready: ReadyReply }>).value,
    );
    const { providers, fallbackReason, inputs, outputs } = workers[0]!.ready;
    const pool = new SessionPool(init, {
      providers,
      ...(fallbackReason ? { fallbackReason } : {}),
      inputs,
      outputs,
    });
    for (const { worker } of workers) pool.adopt(worker);
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  async run(feeds: Feeds): Promise<Feeds> {
    if (this.closed) throw new Error('session pool is closed');
    let slot = this.slots.find((s) => s.running === null);
    while (!slot) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      if (this.closed) throw new Error('session pool is closed');
      slot = this.slots.find((s) => s.running === null);
    }
    const id = this.nextId++;
    const transfer = Object.values(feeds).map((t) => t.data.buffer as ArrayBuffer);
    const idle = slot;
    return new Promise<Feeds>((resolve, reject) => {
      idle.running = { id, run: { resolve, reject } };
      idle.worker.postMessage({ id, feeds } satisfies RunMessage, transfer);
    });
  }

  /** Stops the workers; callers drain their requests first. */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake();
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private adopt(worker: Worker): void {
    const slot: Slot = { worker, running: null };
    this.slots.push(slot);
    worker.on('message', (reply: WorkerReply) => {
      const running = slot.running;
      if (!running || (reply.kind !== 'result' && reply.kind !== 'error') || reply.id !== running.id) return;
      slot.running = null;
      if (reply.kind === 'result') running.run.resolve(reply.outputs);
      else running.run.reject(new Error(reply.message));
      this.waiting.shift()?.();
    });
    worker.on('error', (err) => slot.running?.run.reject(err));
    worker.on('exit', () => {
      slot.running?.run.reject(new Error('session worker exited during inference'));
      slot.running = null;
      this.slots.splice(this.slots.indexOf(slot), 1);
      if (!this.closed) void this.replaceWorker();
    });
  }

  private async replaceWorker(): Promise<void> {
    try {
      const { worker } = await startWorker(this.init);
      if (this.closed) await worker.terminate();
      else {
        this.adopt(worker);
        this.waiting.shift()?.();
      }
    } catch (err) {
      console.error(`inference: could not replace a session worker for ${this.init.modelPath}:`, err);
    }
  }
}
