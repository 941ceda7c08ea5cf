/**
 * One loaded model version: its package (model.json, tokenizer), a pool of ORT sessions and the
 * dynamic batcher in front of it. Requests hold a reference while they run, so a version that is
 * replaced or unloaded finishes the requests that started on it before its sessions close.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WordPieceTokenizer } from '../../../efficientbert/data/tokenizer';
import type { InferenceMetrics } from '../metrics';
import { assembleFeeds, type SequenceJob, splitOutputs } from '../runtime/batch-tensors';
import { type BatchingOptions, DynamicBatcher } from '../runtime/batcher';
import { createSessionRunner, type SessionRunner } from '../runtime/session-runner';
import type { Feeds, TensorInfo } from '../runtime/worker-protocol';
import { type ModelPackageConfig, validateModelConfig } from './model-config';
import { ModelStatistics } from './model-statistics';

export interface ModelLoadSettings {
  /** Execution providers in preference order, e.g. ['cuda', 'cpu']. */
  providers: string[];
  /** Session workers per model version. */
  instances: number;
  intraOpThreads: number;
  batching: BatchingOptions;
}

const TEXT_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'] as const;

/** The model file must match what the Classify path feeds it and reads from it. */
function checkSignature(config: ModelPackageConfig, inputs: TensorInfo[], outputs: TensorInfo[]): void {
  const names = new Set<string>(TEXT_INPUTS);
  for (const input of inputs) {
    if (!names.has(input.name))
      throw new Error(`model.onnx: unexpected input '${input.name}' (expected ${TEXT_INPUTS.join(', ')})`);
    if (input.type !== 'int64' || input.shape.length !== 2)
      throw new Error(`model.onnx: input '${input.name}' must be int64 [batch, sequence]`);
  }
  if (!inputs.some((i) => i.name === 'input_ids')) throw new Error("model.onnx: missing input 'input_ids'");
  const logits = outputs.find((o) => o.name === 'logits');
  const width = config.task === 'classification' ? config.labels.length : 1;
  if (logits?.type !== 'float32' || logits.shape.length !== 2) {
    throw new Error("model.onnx: needs a float32 output 'logits' shaped [batch, labels]");
  }
  if (logits.shape[1] !== -1 && logits.shape[1] !== width) {
    throw new Error(`model.onnx: 'logits' has ${logits.shape[1]} columns, model.json expects ${width}`);
  }
  for (const output of outputs) {
    if (output.shape.length === 0)
      throw new Error(`model.onnx: output '${output.name}' has no batch dimension`);
  }
}

export class ModelVersion {
  readonly stats = new ModelStatistics();
  private readonly batcher: DynamicBatcher<SequenceJob, Feeds>;
  /** Session workers the version was loaded with (the pool replaces one that dies). */
  readonly instances: number;
  private refs = 0;
  private released: Array<() => void> = [];

  private constructor(
    readonly name: string,
    readonly version: string,
    readonly config: ModelPackageConfig,
    readonly tokenizer: WordPieceTokenizer,
    private readonly pool: SessionRunner,
    readonly batching: BatchingOptions,
    private readonly metrics: InferenceMetrics,
  ) {
    this.instances = pool.size;
    this.batcher = new DynamicBatcher(batching, pool.size, (jobs) => this.execute(jobs));
  }

  /** Loads `<dir>` = `<repo>/<name>/<version>`; rejects with a reason when the package is unusable. */
  static async load(
    name: string,
    version: string,
    dir: string,
    settings: ModelLoadSettings,
    metrics: InferenceMetrics,
  ): Promise<ModelVersion> {
    const config = validateModelConfig(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')));
    const tokenizer = WordPieceTokenizer.fromDirectory(join(dir, config.tokenizer));
    const pool = await createSessionRunner(join(dir, 'model.onnx'), settings);
    try {
      checkSignature(config, pool.description.inputs, pool.description.outputs);
    } catch (err) {
      await pool.close();
      throw err;
    }
    return new ModelVersion(name, version, config, tokenizer, pool, settings.batching, metrics);
  }

  get inputs(): TensorInfo[] {
    return this.pool.description.inputs;
  }

  get outputs(): TensorInfo[] {
    return this.pool.description.outputs;
  }

  get providers(): string[] {
    return this.pool.description.providers;
  }

  get fallbackReason(): string | undefined {
    return this.pool.description.fallbackReason;
  }

  get maxBatchSize(): number {
    return this.batcher.maxBatchSize;
  }

  /** Queues the jobs (all or none) and resolves with each job's outputs. */
  infer(jobs: SequenceJob[]): Promise<Feeds[]> {
    const pending = this.batcher.submit(jobs);
    this.metrics.queueSize.set({ model: this.name }, this.batcher.queued);
    return Promise.all(pending);
  }

  /** Re-examines the queue, e.g. after a caller went away. */
  wake(): void {
    this.batcher.wake();
  }

  /** Marks a request as running on this version; call the returned function when it is answered. */
  acquire(): () => void {
    this.refs++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--this.refs === 0) for (const wake of this.released.splice(0)) wake();
    };
  }

  /** Waits for the requests running on this version, then stops its sessions. */
  async retire(): Promise<void> {
    if (this.refs > 0) await new Promise<void>((resolve) => this.released.push(resolve));
    await this.batcher.whenIdle();
    await this.pool.close();
  }

  private async execute(jobs: SequenceJob[]): Promise<Feeds[]> {
    const started = process.hrtime.bigint();
    for (const job of jobs) {
      const queuedNs = Number(started - job.enqueuedNs);
      this.stats.recordQueue(queuedNs);
      this.metrics.queueDuration.observe({ model: this.name }, queuedNs / 1e9);
    }
    this.metrics.queueSize.set({ model: this.name }, this.batcher.queued);
    const feeds = assembleFeeds(jobs);
    const assembled = process.hrtime.bigint();
    const outputs = await this.pool.run(feeds);
    const inferred = process.hrtime.bigint();
    const perJob = splitOutputs(outputs, jobs);
    const split = process.hrtime.bigint();
    const rows = jobs.reduce((n, j) => n + j.rows, 0);
    this.stats.recordExecution(rows, jobs.length, {
      inputNs: Number(assembled - started),
      inferNs: Number(inferred - assembled),
      outputNs: Number(split - inferred),
    });
    this.metrics.batchSize.observe({ model: this.name }, rows);
    return perJob;
  }
}
