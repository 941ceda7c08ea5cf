/**
 * One ONNX Runtime session on the server's main thread, for a model configured with a single
 * instance. `session.run` then blocks the event loop for the inference, so other requests wait
 * for it, which with one instance they would anyway; in exchange the request skips the hand-off to
 * a worker thread (waking a sleeping thread twice, 0.3 ms of main-thread time per request on these
 * VMs: README "serving path").
 */
import type * as ort from 'onnxruntime-node';
import { createSessionWithFallback } from './session-factory';
import { describeSession, runSession } from './session-io';
import type { PoolDescription, SessionRunner } from './session-runner';
import type { Feeds, WorkerInit } from './worker-protocol';

export class InlineSession implements SessionRunner {
  readonly size = 1;
  private closed = false;
  /** Runs are serialized: the batcher sends at most `size` at once, and this keeps it so. */
  private running: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly description: PoolDescription,
  ) {}

  static async create(init: WorkerInit): Promise<InlineSession> {
    const created = await createSessionWithFallback(init.modelPath, init);
    return new InlineSession(created.session, {
      providers: created.providers,
      ...(created.fallbackReason ? { fallbackReason: created.fallbackReason } : {}),
      ...describeSession(created.session),
    });
  }

  run(feeds: Feeds): Promise<Feeds> {
    if (this.closed) return Promise.reject(new Error('session is closed'));
    const run = this.running.then(() => runSession(this.session, feeds));
    this.running = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.running;
    await this.session.release();
  }
}
