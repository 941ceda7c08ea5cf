/**
 * Search.ImportTeacher: a client stream of a Hugging Face BERT folder, file after file in chunks,
 * written into a fresh temporary folder and imported from there exactly as `efficientbert teacher
 * import` does locally (same checks, same conversion, same ref), into the store the workers read.
 * The temporary folder is removed however the call ends: answered, refused or cancelled.
 */
import * as fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { ArtifactStore } from '../../efficientbert/artifacts';
import {
  importTeacher,
  isTeacherFolderFile,
  TEACHER_FOLDER_FILES,
  TeacherImportError,
} from '../../efficientbert/model/teacher-import';
import { invalid, ServiceError, toStatus } from '../grpc/errors';
import { normalizeOnWorkerThread } from './teacher-normalize-thread';

/** Largest folder accepted, all files together: a BERT-large checkpoint is 1.3 GB. */
export const MAX_TEACHER_BYTES = 4 * 1024 ** 3;

interface TeacherChunk {
  filename: string;
  chunk: Buffer;
}

export interface TeacherImportOptions {
  readonly maxBytes?: number;
  /** Where the received folders are written (default os.tmpdir()). */
  readonly tempDir?: string;
}

/** The file name as sent, if it names a file of a teacher folder; INVALID_ARGUMENT otherwise. */
function checkedFileName(name: string): string {
  if (name === '') throw invalid('filename', 'is required on every message');
  if (/[/\\]/.test(name) || name === '..')
    throw invalid('filename', `'${name}' must be a bare file name (no folders, no '..')`);
  if (!isTeacherFolderFile(name))
    throw invalid(
      'filename',
      `'${name}' is not a file of a Hugging Face BERT folder (expected one of ${TEACHER_FOLDER_FILES.join(', ')}, or a shard such as model-00001-of-00002.safetensors)`,
    );
  return name;
}

/**
 * Writes the streamed files into `dir`. Rejects on a bad file name, a file sent twice, an empty
 * stream or more than `maxBytes`; a cancelled call ends the iteration with an error, so nothing
 * half-received is ever imported.
 */
async function receiveFolder(
  messages: AsyncIterable<TeacherChunk>,
  dir: string,
  maxBytes: number,
): Promise<void> {
  const received = new Set<string>();
  let current: { name: string; file: FileHandle } | undefined;
  let total = 0;
  try {
    for await (const { filename, chunk } of messages) {
      if (filename !== current?.name) {
        const name = checkedFileName(filename);
        if (received.has(name))
          throw invalid('filename', `'${name}' was sent twice (send each file's chunks one after another)`);
        await current?.file.close();
        received.add(name);
        current = { name, file: await fs.promises.open(path.join(dir, name), 'wx') };
      }
      total += chunk.byteLength;
      if (total > maxBytes)
        throw new ServiceError(
          grpc.status.RESOURCE_EXHAUSTED,
          `the teacher folder is larger than ${maxBytes} bytes`,
        );
      await current.file.write(chunk);
    }
  } finally {
    await current?.file.close();
  }
  if (received.size === 0) throw invalid('filename', 'no files were sent');
}

async function importStreamedTeacher(
  call: grpc.ServerReadableStream<TeacherChunk, unknown>,
  store: ArtifactStore,
  { maxBytes = MAX_TEACHER_BYTES, tempDir = os.tmpdir() }: TeacherImportOptions,
) {
  const work = await fs.promises.mkdtemp(path.join(tempDir, 'efficientbert-teacher-upload-'));
  try {
    await receiveFolder(call as AsyncIterable<TeacherChunk>, work, maxBytes);
    // The same checks and conversion as the local import (so the same ref), off the event loop.
    const t = await importTeacher(work, store, normalizeOnWorkerThread);
    return {
      ref: t.ref,
      architecture: t.architecture,
      labels: t.labels,
      layers: t.config.layers,
      hidden: t.config.hidden,
      weights_from: t.weightsFrom,
    };
  } catch (err) {
    // Its message starts with the file at fault, e.g. "config.json: architecture ... is not supported".
    if (err instanceof TeacherImportError)
      throw new ServiceError(grpc.status.INVALID_ARGUMENT, `teacher folder refused: ${err.message}`);
    throw err;
  } finally {
    await fs.promises.rm(work, { recursive: true, force: true });
  }
}

export function teacherImportHandlers(store: ArtifactStore, options: TeacherImportOptions = {}) {
  return {
    ImportTeacher: (
      call: grpc.ServerReadableStream<TeacherChunk, unknown>,
      cb: grpc.sendUnaryData<unknown>,
    ) => {
      importStreamedTeacher(call, store, options).then(
        (reply) => cb(null, reply),
        (err: unknown) => cb(toStatus(err)),
      );
    },
  };
}
