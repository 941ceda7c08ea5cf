/**
 * Turns examples into padded batches of typed arrays for the trainer. A dataset is tokenized once
 * into flat Int32Arrays; each batch is padded only to its own longest sequence; the order of an epoch
 * is a pure function of a Prng state, so an iterator's position is a small JSON value that a
 * checkpoint stores and resumes from exactly.
 */
import { Prng, type PrngState } from '../core/prng';
import type { Example, TaskKind } from './glue';
import type { WordPieceTokenizer } from './tokenizer';

export interface EncodedDataset {
  size: number;
  /** Token ids of all examples back to back: example i is tokenIds[offsets[i] .. offsets[i + 1]). */
  tokenIds: Int32Array;
  /** Segment (0/1) of each token, aligned with tokenIds. */
  tokenTypeIds: Uint8Array;
  offsets: Int32Array;
  /** Class indices, regression targets, or null for unlabeled text. */
  labels: Int32Array | Float32Array | null;
  padId: number;
  /** Sequences were truncated to this many tokens, specials included. */
  maxSeq: number;
  /** How many examples lost tokens to truncation (worth logging: a high count means maxSeq is too small). */
  truncatedCount: number;
}

export interface Batch {
  /** Row-major [batchSize, seqLen]. */
  inputIds: Int32Array;
  tokenTypeIds: Int32Array;
  attentionMask: Int32Array;
  labels: Int32Array | Float32Array | null;
  batchSize: number;
  seqLen: number;
}

/** A growable Int32Array: datasets are too large to hold as number[][] and too varied to preallocate. */
class IntBuilder {
  data = new Int32Array(1024);
  length = 0;
  push(values: readonly number[]): void {
    if (this.length + values.length > this.data.length) {
      const grown = new Int32Array(Math.max(this.data.length * 2, this.length + values.length));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(values, this.length);
    this.length += values.length;
  }
}

function encodeAll(
  inputs: readonly { textA: string; textB?: string }[],
  tokenizer: WordPieceTokenizer,
  maxSeq: number,
): Omit<EncodedDataset, 'labels'> {
  const ids = new IntBuilder();
  const types = new IntBuilder();
  const offsets = new Int32Array(inputs.length + 1);
  let truncatedCount = 0;
  inputs.forEach((input, i) => {
    const encoding = tokenizer.encode(input.textA, input.textB, maxSeq);
    ids.push(encoding.inputIds);
    types.push(encoding.tokenTypeIds);
    offsets[i + 1] = ids.length;
    if (encoding.truncated) truncatedCount++;
  });
  return {
    size: inputs.length,
    tokenIds: ids.data.slice(0, ids.length),
    tokenTypeIds: Uint8Array.from(types.data.subarray(0, types.length)),
    offsets,
    padId: tokenizer.padId,
    maxSeq,
    truncatedCount,
  };
}

/** Tokenizes labeled examples once ([CLS] a [SEP] (b [SEP]), truncated longest-first to maxSeq). */
export function encodeDataset(
  examples: readonly Example[],
  tokenizer: WordPieceTokenizer,
  options: { kind: TaskKind; maxSeq: number },
): EncodedDataset {
  const labels =
    options.kind === 'regression'
      ? Float32Array.from(examples, (e) => e.label)
      : Int32Array.from(examples, (e) => e.label);
  return { ...encodeAll(examples, tokenizer, options.maxSeq), labels };
}

/** Tokenizes unlabeled text, each string as a single sentence. */
export function encodeTexts(
  texts: readonly string[],
  tokenizer: WordPieceTokenizer,
  maxSeq: number,
): EncodedDataset {
  return {
    ...encodeAll(
      texts.map((textA) => ({ textA })),
      tokenizer,
      maxSeq,
    ),
    labels: null,
  };
}

export function sequenceLength(dataset: EncodedDataset, index: number): number {
  return dataset.offsets[index + 1]! - dataset.offsets[index]!;
}

/** Gathers examples into one batch padded to the longest of them (never beyond the dataset's maxSeq). */
export function makeBatch(dataset: EncodedDataset, indices: ArrayLike<number>): Batch {
  const batchSize = indices.length;
  let seqLen = 0;
  for (let r = 0; r < batchSize; r++) seqLen = Math.max(seqLen, sequenceLength(dataset, indices[r]!));
  const inputIds = new Int32Array(batchSize * seqLen).fill(dataset.padId);
  const tokenTypeIds = new Int32Array(batchSize * seqLen);
  const attentionMask = new Int32Array(batchSize * seqLen);
  const labels =
    dataset.labels === null
      ? null
      : dataset.labels instanceof Float32Array
        ? new Float32Array(batchSize)
        : new Int32Array(batchSize);
  for (let r = 0; r < batchSize; r++) {
    const i = indices[r]!;
    const start = dataset.offsets[i]!;
    const end = dataset.offsets[i + 1]!;
    inputIds.set(dataset.tokenIds.subarray(start, end), r * seqLen);
    tokenTypeIds.set(dataset.tokenTypeIds.subarray(start, end), r * seqLen);
    attentionMask.fill(1, r * seqLen, r * seqLen + end - start);
    if (labels !== null) labels[r] = dataset.labels![i]!;
  }
  return { inputIds, tokenTypeIds, attentionMask, labels, batchSize, seqLen };
}

/** Batches in dataset order, for evaluation. */
export function* sequentialBatches(dataset: EncodedDataset, batchSize: number): Generator<Batch> {
  checkBatchSize(batchSize);
  for (let start = 0; start < dataset.size; start += batchSize) {
    const end = Math.min(start + batchSize, dataset.size);
    yield makeBatch(
      dataset,
      Int32Array.from({ length: end - start }, (_, k) => start + k),
    );
  }
}

export interface BatchOptions {
  batchSize: number;
  /** Shuffle examples each epoch (default true). */
  shuffle?: boolean;
  /**
   * Length bucketing: sort examples by length within chunks of this many batches, so each batch holds
   * similar lengths and pads little, then shuffle the batch order. Off when absent or 0.
   */
  bucketChunkBatches?: number;
  /** Drop a last partial batch (default false). */
  dropLast?: boolean;
}

/** Where an iterator is: plain JSON. `rng` is the generator state the current epoch's order came from. */
export interface BatchIteratorState {
  epoch: number;
  /** Batches of this epoch already handed out. */
  index: number;
  rng: PrngState;
}

function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
}

/** The batches of one epoch as index lists, drawing all randomness from rng. */
function planEpoch(dataset: EncodedDataset, options: BatchOptions, rng: Prng): Int32Array[] {
  const { batchSize, shuffle = true, bucketChunkBatches = 0, dropLast = false } = options;
  const order = Array.from({ length: dataset.size }, (_, i) => i);
  if (shuffle) rng.shuffle(order);
  if (bucketChunkBatches > 0) {
    const chunk = bucketChunkBatches * batchSize;
    for (let start = 0; start < order.length; start += chunk) {
      // Array.prototype.sort is stable, so equal lengths keep their shuffled order: still deterministic.
      const sorted = order
        .slice(start, start + chunk)
        .sort((a, b) => sequenceLength(dataset, a) - sequenceLength(dataset, b));
      order.splice(start, sorted.length, ...sorted);
    }
  }
  const batches: Int32Array[] = [];
  for (let start = 0; start < order.length; start += batchSize) {
    const batch = Int32Array.from(order.slice(start, start + batchSize));
    if (batch.length === batchSize || !dropLast) batches.push(batch);
  }
  if (shuffle && bucketChunkBatches > 0) rng.shuffle(batches);
  return batches;
}

/**
 * An endless, resumable stream of training batches: epoch after epoch, each in a fresh deterministic
 * order. `new BatchIterator(ds, opts, { seed })` starts; `new BatchIterator(ds, opts, saved.state())`
 * continues exactly where `saved` was.
 */
export class BatchIterator {
  private epoch: number;
  private index: number;
  private epochRng: PrngState;
  private readonly rng: Prng;
  private batches: Int32Array[];

  constructor(
    private readonly dataset: EncodedDataset,
    private readonly options: BatchOptions,
    start: { seed: number } | BatchIteratorState,
  ) {
    checkBatchSize(options.batchSize);
    const state = 'seed' in start ? { epoch: 0, index: 0, rng: Prng.fromSeed(start.seed).state() } : start;
    this.epoch = state.epoch;
    this.index = state.index;
    this.epochRng = state.rng;
    this.rng = Prng.fromState(state.rng);
    this.batches = planEpoch(dataset, options, this.rng);
    if (this.batches.length === 0) throw new RangeError('the dataset yields no batches');
    if (!Number.isInteger(this.index) || this.index < 0 || this.index > this.batches.length) {
      throw new RangeError(
        `iterator index ${this.index} is outside the epoch's ${this.batches.length} batches`,
      );
    }
  }

  get batchesPerEpoch(): number {
    return this.batches.length;
  }

  next(): Batch {
    if (this.index === this.batches.length) {
      this.epoch++;
      this.index = 0;
      this.epochRng = this.rng.state();
      this.batches = planEpoch(this.dataset, this.options, this.rng);
    }
    return makeBatch(this.dataset, this.batches[this.index++]!);
  }

  state(): BatchIteratorState {
    return { epoch: this.epoch, index: this.index, rng: this.epochRng };
  }
}

export interface TaskBatch {
  task: string;
  batch: Batch;
}

export interface TaskMixtureState {
  epoch: number;
  index: number;
  rng: PrngState;
  tasks: Record<string, BatchIteratorState>;
}

/**
 * Multi-task batches: each batch comes from one task, and one mixture epoch is one epoch of every
 * task with all their batches shuffled together, so each task is seen in proportion to its size.
 */
export class TaskMixtureIterator {
  private epoch: number;
  private index: number;
  private epochRng: PrngState;
  private readonly rng: Prng;
  private readonly names: string[];
  private readonly iterators: Map<string, BatchIterator>;
  private schedule: string[];

  constructor(
    tasks: Readonly<Record<string, { dataset: EncodedDataset; options: BatchOptions }>>,
    start: { seed: number } | TaskMixtureState,
  ) {
    // Sorted so that the seed-to-task assignment does not depend on object key order.
    this.names = Object.keys(tasks).sort();
    if (this.names.length === 0) throw new RangeError('a task mixture needs at least one task');
    // A fresh mixture derives each task's seed from its own seed; a resumed one restores every position.
    const fresh = 'seed' in start ? Prng.fromSeed(start.seed) : null;
    const saved = 'seed' in start ? null : start;
    this.iterators = new Map(
      this.names.map((name) => {
        const { dataset, options } = tasks[name]!;
        const taskStart = fresh !== null ? { seed: fresh.nextUint32() } : saved!.tasks[name];
        if (taskStart === undefined) throw new Error(`mixture state has no position for task "${name}"`);
        return [name, new BatchIterator(dataset, options, taskStart)];
      }),
    );
    const state = saved ?? { epoch: 0, index: 0, rng: fresh!.state() };
    this.epoch = state.epoch;
    this.index = state.index;
    this.epochRng = state.rng;
    this.rng = Prng.fromState(state.rng);
    this.schedule = this.planEpoch();
  }

  get batchesPerEpoch(): number {
    return this.schedule.length;
  }

  next(): TaskBatch {
    if (this.index === this.schedule.length) {
      this.epoch++;
      this.index = 0;
      this.epochRng = this.rng.state();
      this.schedule = this.planEpoch();
    }
    const task = this.schedule[this.index++]!;
    return { task, batch: this.iterators.get(task)!.next() };
  }

  state(): TaskMixtureState {
    const tasks: Record<string, BatchIteratorState> = {};
    for (const [name, iterator] of this.iterators) tasks[name] = iterator.state();
    return { epoch: this.epoch, index: this.index, rng: this.epochRng, tasks };
  }

  private planEpoch(): string[] {
    const schedule = this.names.flatMap((name) =>
      new Array<string>(this.iterators.get(name)!.batchesPerEpoch).fill(name),
    );
    return this.rng.shuffle(schedule);
  }
}

/** Rounds a fraction of n to a count, checking the fraction. */
function fractionCount(n: number, fraction: number): number {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`fraction must be in [0, 1], got ${fraction}`);
  return Math.round(n * fraction);
}

/** The first `fraction` of a list (rounded), e.g. the spec's "first 10% of the MNLI train set". */
export function takeFirst<T>(items: readonly T[], fraction: number): T[] {
  return items.slice(0, fractionCount(items.length, fraction));
}

/** Holds out the last `fraction` of a list (rounded), e.g. the spec's "last 10%"; the rest is kept. */
export function splitLast<T>(items: readonly T[], fraction: number): { kept: T[]; heldOut: T[] } {
  const cut = items.length - fractionCount(items.length, fraction);
  return { kept: items.slice(0, cut), heldOut: items.slice(cut) };
}

/** Holds out a seeded random `fraction` of a list; both parts keep the original order. */
export function seededSplit<T>(
  items: readonly T[],
  fraction: number,
  seed: number,
): { kept: T[]; heldOut: T[] } {
  const heldOutCount = fractionCount(items.length, fraction);
  const order = Prng.fromSeed(seed).shuffle(Array.from({ length: items.length }, (_, i) => i));
  const isHeldOut = new Uint8Array(items.length);
  for (const i of order.slice(0, heldOutCount)) isHeldOut[i] = 1;
  return { kept: items.filter((_, i) => !isHeldOut[i]), heldOut: items.filter((_, i) => isHeldOut[i]) };
}
