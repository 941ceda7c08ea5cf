/**
 * Cumulative statistics of one model version in Triton's ModelStatistics shape: success / fail
 * request counts with their total durations, queue and compute times, and per-batch-size
 * execution statistics. Durations are nanoseconds, as Triton reports them.
 */

interface Duration {
  count: number;
  ns: number;
}

const zero = (): Duration => ({ count: 0, ns: 0 });

function add(d: Duration, ns: number): void {
  d.count++;
  d.ns += ns;
}

export interface ExecutionTimes {
  inputNs: number;
  inferNs: number;
  outputNs: number;
}

export class ModelStatistics {
  private lastInference = 0;
  private inferenceCount = 0;
  private executionCount = 0;
  private readonly success = zero();
  private readonly fail = zero();
  private readonly queue = zero();
  private readonly computeInput = zero();
  private readonly computeInfer = zero();
  private readonly computeOutput = zero();
  private readonly batches = new Map<number, { input: Duration; infer: Duration; output: Duration }>();

  /** A finished request; `inferences` counts its rows (texts). */
  recordRequest(ok: boolean, durationNs: number, inferences: number): void {
    this.lastInference = Date.now();
    if (ok) {
      add(this.success, durationNs);
      this.inferenceCount += inferences;
    } else {
      add(this.fail, durationNs);
    }
  }

  recordQueue(ns: number): void {
    add(this.queue, ns);
  }

  /** One model execution of `batchSize` rows; as in Triton, each request in it is charged the whole execution. */
  recordExecution(batchSize: number, items: number, times: ExecutionTimes): void {
    this.executionCount++;
    for (let i = 0; i < items; i++) {
      add(this.computeInput, times.inputNs);
      add(this.computeInfer, times.inferNs);
      add(this.computeOutput, times.outputNs);
    }
    let b = this.batches.get(batchSize);
    if (!b) this.batches.set(batchSize, (b = { input: zero(), infer: zero(), output: zero() }));
    add(b.input, times.inputNs);
    add(b.infer, times.inferNs);
    add(b.output, times.outputNs);
  }

  /** The `inference.ModelStatistics` message (64-bit fields as decimal strings). */
  toMessage(name: string, version: string) {
    const d = (x: Duration) => ({ count: String(x.count), ns: String(Math.round(x.ns)) });
    return {
      name,
      version,
      last_inference: String(this.lastInference),
      inference_count: String(this.inferenceCount),
      execution_count: String(this.executionCount),
      inference_stats: {
        success: d(this.success),
        fail: d(this.fail),
        queue: d(this.queue),
        compute_input: d(this.computeInput),
        compute_infer: d(this.computeInfer),
        compute_output: d(this.computeOutput),
        cache_hit: d(zero()),
        cache_miss: d(zero()),
      },
      batch_stats: [...this.batches.entries()]
        .sort(([a], [b]) => a - b)
        .map(([size, b]) => ({
          batch_size: String(size),
          compute_input: d(b.input),
          compute_infer: d(b.infer),
          compute_output: d(b.output),
        })),
      memory_usage: [],
    };
  }
}
