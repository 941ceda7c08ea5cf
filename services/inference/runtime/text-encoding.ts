/**
 * Classify inputs to token-sequence jobs: each text (or pair) is tokenized with the model's own
 * tokenizer, too-long inputs are truncated or rejected as the request asks, and texts are grouped
 * by sequence-length bucket so that each job pads only to the longest text of its bucket.
 */
import { endianness } from 'node:os';
import type { WordPieceTokenizer } from '../../../efficientbert/data/tokenizer';
import { invalidArgument } from '../../grpc/errors';
import { type SequenceJob, sequenceBucket } from './batch-tensors';

export interface TextInput {
  text: string;
  text_pair: string;
}

export type Truncation = 'TRUNCATE' | 'REJECT';

export interface EncodedText {
  inputIds: number[];
  tokenTypeIds: number[];
  truncated: boolean;
}

export function encodeTexts(
  tokenizer: WordPieceTokenizer,
  inputs: readonly TextInput[],
  maxSeqLength: number,
  truncation: Truncation,
): EncodedText[] {
  if (inputs.length === 0) throw invalidArgument('inputs: the batch is empty');
  return inputs.map((input, i) => {
    const pair = input.text_pair === '' ? undefined : input.text_pair;
    const encoding = tokenizer.encode(input.text, pair, maxSeqLength);
    if (encoding.truncated && truncation === 'REJECT') {
      throw invalidArgument(
        `inputs[${i}]: longer than the model's max_seq_length of ${maxSeqLength} tokens (truncation REJECT)`,
      );
    }
    return {
      inputIds: encoding.inputIds,
      tokenTypeIds: encoding.tokenTypeIds,
      truncated: encoding.truncated,
    };
  });
}

export interface TextJob extends SequenceJob {
  /** Positions in the request of this job's rows. */
  positions: number[];
}

/**
 * Groups texts by bucket into jobs of at most `maxBatchSize` rows, each padded to its own longest
 * text, with only the inputs the model declares.
 */
export function textJobs(
  encoded: readonly EncodedText[],
  modelInputs: readonly string[],
  maxBatchSize: number,
  base: Pick<SequenceJob, 'deadline' | 'isCancelled' | 'enqueuedNs'>,
): TextJob[] {
  // Without an attention mask, padding would change the answer: only equal lengths share a job.
  const paddable = modelInputs.includes('attention_mask');
  const groups = new Map<string, number[]>();
  encoded.forEach((e, i) => {
    const key = sequenceBucket(e.inputIds.length, paddable);
    const group = groups.get(key) ?? [];
    group.push(i);
    groups.set(key, group);
  });
  const jobs: TextJob[] = [];
  for (const [bucket, positions] of groups) {
    for (let start = 0; start < positions.length; start += maxBatchSize) {
      const chunk = positions.slice(start, start + maxBatchSize);
      const seqLength = Math.max(...chunk.map((p) => encoded[p]!.inputIds.length));
      const columns: Record<string, BigInt64Array> = {};
      for (const name of modelInputs) columns[name] = new BigInt64Array(chunk.length * seqLength);
      const ids = lowWords(columns.input_ids);
      const types = lowWords(columns.token_type_ids);
      const mask = lowWords(columns.attention_mask);
      chunk.forEach((p, row) => {
        const e = encoded[p]!;
        for (let t = 0; t < e.inputIds.length; t++) {
          const at = 2 * (row * seqLength + t);
          if (ids) ids[at] = e.inputIds[t]!;
          if (types) types[at] = e.tokenTypeIds[t]!;
          if (mask) mask[at] = 1;
        }
      });
      jobs.push({ ...base, rows: chunk.length, seqLength, bucket, inputs: columns, positions: chunk });
    }
  }
  return jobs;
}

/**
 * The int64 column as 32-bit words, to write its values without a BigInt per element (half the
 * cost of filling the tensors of a request). Element i's low word is 2i: every platform ONNX
 * Runtime ships for is little-endian; token ids and types are small and non-negative, and the
 * zero-filled high words stay zero.
 */
function lowWords(column: BigInt64Array | undefined): Int32Array | null {
  return column ? new Int32Array(column.buffer, column.byteOffset, column.length * 2) : null;
}

if (endianness() !== 'LE') throw new Error('text-encoding: int64 tensors are written little-endian');

/** Softmax of one row of logits (computed in float64). */
export function softmax(logits: ArrayLike<number>): number[] {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const exps = Array.from({ length: logits.length }, (_, i) => Math.exp(logits[i]! - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}
