/**
 * Dynamic batching: queued items that may share a model execution are grouped by a bucket key
 * (their padded sequence length), and a batch leaves the queue when it is full or its oldest item
 * has waited `maxQueueDelayMs`, whenever a session is free. The queue is bounded: past
 * `maxQueueSize` waiting items a submission is refused at once (UNAVAILABLE) instead of letting
 * latency grow without limit. Items whose deadline has passed or whose caller went away are
 * dropped before they run (ONNX Runtime cannot cancel a run once started).
 */
import { status } from '@grpc/grpc-js';
import { ServiceError } from '../../grpc/errors';

export interface BatchingOptions {
  /** Off: every item runs alone, first come first served. */
  enabled: boolean;
  /** The most rows (batch dimension) one execution takes. */
  maxBatchSize: number;
  maxQueueDelayMs: number;
  /** Items waiting (not yet running) at most. */
  maxQueueSize: number;
}

export interface BatchItem {
  /** Rows this item adds to a batch (its batch dimension). */
  rows: number;
  /** Items run together only when their keys are equal. */
  bucket: string;
  /** Epoch milliseconds; Infinity when the caller set none. */
  deadline: number;
  isCancelled(): boolean;
}

/** Runs one batch: one result per item, in order. */
export type BatchRunner<T extends BatchItem, R> = (items: T[]) => Promise<R[]>;

interface Queued<T, R> {
  item: T;
  enqueuedAt: number;
  resolve(result: R): void;
  reject(err: Error): void;
}

const QUEUE_FULL = 'Exceeds maximum queue size';
const REQUEST_TIMEOUT = 'Request timeout expired';

export class DynamicBatcher<T extends BatchItem, R> {
  private readonly buckets = new Map<string, Array<Queued<T, R>>>();
  private waitingCount = 0;
  private running = 0;
  private timer: NodeJS.Timeout | null = null;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly options: BatchingOptions,
    /** Batches that may run at the same time (the session pool size). */
    private readonly concurrency: number,
    private readonly runner: BatchRunner<T, R>,
    private readonly now: () => number = Date.now,
  ) {}

  get maxBatchSize(): number {
    return this.options.maxBatchSize;
  }

  get queued(): number {
    return this.waitingCount;
  }

  get busy(): boolean {
    return this.waitingCount > 0 || this.running > 0;
  }

  /** Queues all items or none (a request split into several items is admitted as a whole). */
  submit(items: T[]): Array<Promise<R>> {
    this.dropDeadItems();
    for (const item of items) {
      if (item.rows > this.options.maxBatchSize) {
        throw new ServiceError(
          status.INVALID_ARGUMENT,
          `batch size ${item.rows} exceeds the model's maximum batch size ${this.options.maxBatchSize}`,
        );
      }
    }
    if (this.waitingCount + items.length > this.options.maxQueueSize) {
      throw new ServiceError(status.UNAVAILABLE, QUEUE_FULL);
    }
    const enqueuedAt = this.now();
    const promises = items.map(
      (item) =>
        new Promise<R>((resolve, reject) => {
          const key = this.options.enabled ? item.bucket : '';
          const bucket = this.buckets.get(key) ?? [];
          bucket.push({ item, enqueuedAt, resolve, reject });
          this.buckets.set(key, bucket);
          this.waitingCount++;
        }),
    );
    this.schedule();
    return promises;
  }

  /** Resolves when nothing is queued or running. */
  whenIdle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Re-examines the queue now, e.g. after a caller cancelled. */
  wake(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.dropDeadItems();
    while (this.running < this.concurrency) {
      const batch = this.takeReadyBatch();
      if (!batch) break;
      void this.execute(batch);
    }
    this.armTimer();
    this.notifyIfIdle();
  }

  /**
   * From the buckets in order of their oldest item, the first one that holds a full batch or has
   * waited enough. A batch takes at most its session's fair share of the bucket (its rows divided
   * by the number of sessions): taking the whole queue would pile every waiting request onto one
   * session while the others idle, and with closed-loop clients that state persists (each batch's
   * clients come back together and are again taken together), halving throughput with two
   * sessions. With one session, or batching off, nothing changes.
   */
  private takeReadyBatch(): Array<Queued<T, R>> | null {
    const byAge = [...this.buckets.values()].sort((a, b) => a[0]!.enqueuedAt - b[0]!.enqueuedAt);
    const maxRows = this.options.enabled ? this.options.maxBatchSize : 1;
    for (const bucket of byAge) {
      let bucketRows = 0;
      for (const q of bucket) bucketRows += q.item.rows;
      const limit = Math.min(maxRows, Math.ceil(bucketRows / this.concurrency));
      let rows = 0;
      let count = 0;
      while (count < bucket.length && (count === 0 || rows + bucket[count]!.item.rows <= limit)) {
        rows += bucket[count]!.item.rows;
        count++;
      }
      const full = bucketRows >= maxRows;
      const waited = this.now() - bucket[0]!.enqueuedAt >= this.options.maxQueueDelayMs;
      if (this.options.enabled && !full && !waited) continue;
      const batch = bucket.splice(0, count);
      this.waitingCount -= count;
      if (bucket.length === 0) this.deleteBucket(bucket);
      return batch;
    }
    return null;
  }

  private async execute(batch: Array<Queued<T, R>>): Promise<void> {
    this.running++;
    try {
      const results = await this.runner(batch.map((q) => q.item));
      batch.forEach((q, i) => {
        q.resolve(results[i]!);
      });
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      for (const q of batch) q.reject(error);
    } finally {
      this.running--;
      this.schedule();
    }
  }

  private dropDeadItems(): void {
    const now = this.now();
    for (const bucket of this.buckets.values()) {
      for (let i = bucket.length - 1; i >= 0; i--) {
        const q = bucket[i]!;
        const cancelled = q.item.isCancelled();
        if (!cancelled && q.item.deadline > now) continue;
        bucket.splice(i, 1);
        this.waitingCount--;
        q.reject(
          cancelled
            ? new ServiceError(status.CANCELLED, 'Request cancelled by the client')
            : new ServiceError(status.DEADLINE_EXCEEDED, REQUEST_TIMEOUT),
        );
      }
      if (bucket.length === 0) this.deleteBucket(bucket);
    }
  }

  private deleteBucket(bucket: Array<Queued<T, R>>): void {
    for (const [key, b] of this.buckets) if (b === bucket) this.buckets.delete(key);
  }

  /** Wakes up when the next bucket's delay runs out or the next deadline passes. */
  private armTimer(): void {
    if (this.waitingCount === 0) return;
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const bucket of this.buckets.values()) {
      if (this.running < this.concurrency)
        wakeAt = Math.min(wakeAt, bucket[0]!.enqueuedAt + this.options.maxQueueDelayMs);
      for (const q of bucket) wakeAt = Math.min(wakeAt, q.item.deadline);
    }
    if (!Number.isFinite(wakeAt)) return;
    // Unref'd: queued work belongs to open calls, which keep the process alive by themselves.
    this.timer = setTimeout(() => this.schedule(), Math.max(0, wakeAt - this.now())).unref();
  }

  private notifyIfIdle(): void {
    if (this.busy) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
