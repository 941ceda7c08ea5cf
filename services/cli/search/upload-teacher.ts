/**
 * `teacher import DIR` and `search start --teacher-dir DIR`: streams a Hugging Face BERT folder to
 * the search service (Search.ImportTeacher), which checks, converts and stores it where the
 * workers read it, and answers with its ref. The CLI never writes the store itself: the gateway
 * may run on another machine.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { teacherFilesToRead } from '../../../efficientbert/model/teacher-import';
import { EXIT, UsageError } from '../command';
import type { Message, RpcClient } from '../rpc';
import { UPLOAD_CHUNK_BYTES } from './upload-data';

/**
 * The folder's files that import reads: only the weights layout it picks, so a pytorch_model.bin
 * next to a model.safetensors (hundreds of MB) is not sent for nothing.
 */
function filesToSend(dir: string): string[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new UsageError(`teacher import: ${dir}: not a directory`, EXIT.failure);
  return teacherFilesToRead(dir);
}

async function* folderMessages(dir: string, files: readonly string[]): AsyncGenerator<Message> {
  for (const filename of files) {
    const file = path.join(dir, filename);
    try {
      let sent = false;
      for await (const chunk of fs.createReadStream(file, { highWaterMark: UPLOAD_CHUNK_BYTES })) {
        yield { filename, chunk };
        sent = true;
      }
      // An empty file is still a file of the folder (and of its ref): one empty chunk names it.
      if (!sent) yield { filename, chunk: Buffer.alloc(0) };
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as Error).message}`, EXIT.failure);
    }
  }
}

/** The ImportTeacher reply: ref, architecture, labels, layers, hidden, weights_from. */
export function uploadTeacherDir(rpc: RpcClient, dir: string): Promise<Message> {
  const absolute = path.resolve(dir);
  return rpc.clientStream('ImportTeacher', folderMessages(absolute, filesToSend(absolute)));
}
