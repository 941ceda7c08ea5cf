/**
 * Token-sequence jobs and how several of them become one model execution: rows are stacked along
 * the batch dimension and padded (id 0, mask 0) to the longest sequence in the batch, and the
 * outputs are cut back into each job's rows.
 */
import type { BatchItem } from './batcher';
import type { Feeds } from './worker-protocol';

/** A block of `rows` token sequences of length `seqLength` for one request. */
export interface SequenceJob extends BatchItem {
  seqLength: number;
  /** int64 inputs by name, rows x seqLength each, row-major. */
  inputs: Record<string, BigInt64Array>;
  /** When the job entered the queue (process.hrtime.bigint), for queue-time statistics. */
  enqueuedNs: bigint;
}

/**
 * Padded jobs (tokenized text, attention mask present) share a bucket with other lengths up to
 * the same power of two, so padding at most doubles a sequence and short texts never pay for long
 * ones. Tensors given by a client are run exactly as sent, so only equal shapes batch together.
 */
export function sequenceBucket(seqLength: number, paddable: boolean): string {
  if (!paddable) return `exact:${seqLength}`;
  let bound = 8;
  while (bound < seqLength) bound *= 2;
  return `pad:${bound}`;
}

/** A typed array that is the whole of its buffer: handing the buffer to a worker moves only it. */
function ownsBuffer(data: ArrayBufferView): boolean {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
}

/**
 * One execution's inputs. A batch of one job runs on the job's own arrays (no copy; they are
 * transferred to the session worker, so the job's inputs are unusable afterwards); several jobs are
 * stacked and padded into new arrays.
 */
export function assembleFeeds(jobs: readonly SequenceJob[]): Feeds {
  const rows = jobs.reduce((n, j) => n + j.rows, 0);
  const seqLength = Math.max(...jobs.map((j) => j.seqLength));
  const feeds: Feeds = {};
  if (jobs.length === 1 && Object.values(jobs[0]!.inputs).every(ownsBuffer)) {
    for (const [name, data] of Object.entries(jobs[0]!.inputs))
      feeds[name] = { type: 'int64', dims: [rows, seqLength], data };
    return feeds;
  }
  for (const name of Object.keys(jobs[0]!.inputs)) {
    const data = new BigInt64Array(rows * seqLength);
    let row = 0;
    for (const job of jobs) {
      const source = job.inputs[name]!;
      if (job.seqLength === seqLength) data.set(source, row * seqLength);
      else {
        for (let r = 0; r < job.rows; r++) {
          data.set(source.subarray(r * job.seqLength, (r + 1) * job.seqLength), (row + r) * seqLength);
        }
      }
      row += job.rows;
    }
    feeds[name] = { type: 'int64', dims: [rows, seqLength], data };
  }
  return feeds;
}

/** Each job's rows of every output (outputs are batch-major: [rows, ...]); one job gets them all. */
export function splitOutputs(outputs: Feeds, jobs: readonly SequenceJob[]): Feeds[] {
  if (jobs.length === 1) return [outputs];
  const perJob: Feeds[] = jobs.map(() => ({}));
  for (const [name, tensor] of Object.entries(outputs)) {
    const totalRows = tensor.dims[0] ?? 0;
    const rowSize = totalRows > 0 ? tensor.data.length / totalRows : 0;
    let row = 0;
    jobs.forEach((job, i) => {
      perJob[i]![name] = {
        type: tensor.type,
        dims: [job.rows, ...tensor.dims.slice(1)],
        data: tensor.data.slice(row * rowSize, (row + job.rows) * rowSize),
      };
      row += job.rows;
    });
  }
  return perJob;
}
