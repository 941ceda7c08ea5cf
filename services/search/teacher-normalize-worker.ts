/**
 * Worker thread entry: checks and converts one uploaded teacher folder (normalizeTeacherDir) and
 * posts the outcome. The weights load that checks their shapes needs a tfjs backend; the plain cpu
 * one (no native module) is enough for that.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '../../efficientbert/model/backend';
import { normalizeTeacherDir, TeacherImportError } from '../../efficientbert/model/teacher-import';
import type { NormalizeReply, NormalizeRequest } from './teacher-normalize-thread';

async function main({ dir, out }: NormalizeRequest): Promise<NormalizeReply> {
  try {
    await selectBackend('cpu', () => {});
    return { kind: 'ok', teacher: normalizeTeacherDir(dir, out) };
  } catch (err) {
    if (err instanceof TeacherImportError)
      return { kind: 'refused', file: err.file, message: err.message.slice(err.file.length + 2) };
    return { kind: 'failed', message: err instanceof Error ? err.message : String(err) };
  }
}

void main(workerData as NormalizeRequest).then((reply) => parentPort!.postMessage(reply));
