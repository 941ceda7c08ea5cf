/**
 * A user dataset parsed on a worker thread: StartSearch refuses a malformed file before anything
 * starts, and a dataset of hundreds of MB takes that long to parse, which on the gateway's event
 * loop would stall every other call meanwhile.
 */
import * as path from 'node:path';
import { DataFileError } from '../../efficientbert/data/delimited';
import type { UserDataSpec } from '../../efficientbert/search/data-spec';
import { runOnTsWorker } from '../threads/ts-worker';

export interface DataCheckRequest {
  readonly data: UserDataSpec;
  readonly train: Uint8Array;
  readonly dev: Uint8Array;
}

export type DataCheckReply =
  | { readonly kind: 'ok'; readonly labels: readonly string[] }
  | {
      readonly kind: 'invalid';
      readonly file: string;
      readonly line: number;
      readonly problem: string;
      readonly column?: string;
    }
  | { readonly kind: 'failed'; readonly message: string };

const ENTRY = path.join(__dirname, 'data-check-worker.ts');

/** The dataset's label order (empty for regression); a DataFileError where a file is malformed. */
export async function parseUserDataOnWorkerThread(
  data: UserDataSpec,
  train: Buffer,
  dev: Buffer,
): Promise<readonly string[]> {
  const reply = await runOnTsWorker<DataCheckReply>(ENTRY, { data, train, dev } satisfies DataCheckRequest);
  if (reply.kind === 'invalid') throw new DataFileError(reply.file, reply.line, reply.problem, reply.column);
  if (reply.kind === 'failed') throw new Error(`dataset check failed: ${reply.message}`);
  return reply.labels;
}
