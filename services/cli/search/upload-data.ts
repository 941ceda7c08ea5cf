/**
 * `search start --train FILE --dev FILE`: uploads both files to the search service's artifact store
 * (Search.UploadArtifact) and returns the request's DataSpec. The CLI never writes the store
 * itself: the gateway may run on another machine, and workers read the data from the store.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as path from 'node:path';
import { type DataFormat, formatOfFilename } from '../../../efficientbert/search/data-spec';
import { listFlag, type ParsedArgs } from '../args';
import { UsageError } from '../command';
import type { Message, RpcClient } from '../rpc';

/** Bytes per upload message: well under grpc-js's 4 MiB receive limit, which the gateway keeps. */
export const UPLOAD_CHUNK_BYTES = 1024 * 1024;

async function upload(rpc: RpcClient, file: string): Promise<string> {
  const hash = createHash('sha256');
  async function* messages(): AsyncGenerator<Message> {
    let first = true;
    try {
      for await (const chunk of createReadStream(file, { highWaterMark: UPLOAD_CHUNK_BYTES })) {
        hash.update(chunk as Buffer);
        yield { chunk, ...(first ? { filename: path.basename(file) } : {}) };
        first = false;
      }
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
    }
  }
  const reply = await rpc.clientStream('UploadArtifact', messages());
  // The ref is the server's hash of what it stored: a mismatch means the bytes changed in transit.
  const local = `sha256:${hash.digest('hex')}`;
  if (reply.ref !== local) throw new UsageError(`upload of ${file} stored ${reply.ref}, expected ${local}`);
  return reply.ref;
}

/** A data file's format by its extension; a usage error when it has none we read. */
export function dataFileFormat(file: string): DataFormat {
  const format = formatOfFilename(file);
  if (format === undefined)
    throw new UsageError(`${file}: cannot tell the format from the extension (.csv, .tsv, .jsonl)`);
  return format;
}

function dataFile(file: string, ref: string): Message {
  return { ref, format: dataFileFormat(file), filename: file };
}

/** The DataSpec of `--train/--dev` (null without them), after uploading both files. */
export async function uploadDataFlags(rpc: RpcClient, values: ParsedArgs['values']): Promise<Message | null> {
  const train = values.train as string | undefined;
  const dev = values.dev as string | undefined;
  if (train === undefined && dev === undefined) return null;
  if (train === undefined || dev === undefined) throw new UsageError('--train and --dev go together');
  for (const file of [train, dev]) dataFileFormat(file);
  const [trainRef, devRef] = [await upload(rpc, train), await upload(rpc, dev)];
  return {
    name: (values['task-name'] as string | undefined) ?? '',
    kind: (values['task-kind'] as string | undefined) ?? '',
    train: dataFile(train, trainRef),
    dev: dataFile(dev, devRef),
    text_column: (values['text-column'] as string | undefined) ?? '',
    text_pair_column: (values['text-pair-column'] as string | undefined) ?? '',
    label_column: (values['label-column'] as string | undefined) ?? '',
    labels: listFlag(values, 'labels') ?? [],
  };
}
