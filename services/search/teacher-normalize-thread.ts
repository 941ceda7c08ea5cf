/**
 * The gateway's TeacherNormalizer: the checks and conversion of an uploaded folder (whole
 * checkpoints parsed, converted and loaded once) run on a worker thread of their own, so the
 * gateway keeps answering StartSearch, watches and health probes during a BERT-base import.
 */
import * as path from 'node:path';
import {
  type NormalizedTeacher,
  TeacherImportError,
  type TeacherNormalizer,
} from '../../efficientbert/model/teacher-import';
import { startTsWorker } from '../threads/ts-worker';

export interface NormalizeRequest {
  readonly dir: string;
  readonly out: string;
}

export type NormalizeReply =
  | { readonly kind: 'ok'; readonly teacher: NormalizedTeacher }
  | { readonly kind: 'refused'; readonly file: string; readonly message: string }
  | { readonly kind: 'failed'; readonly message: string };

const ENTRY = path.join(__dirname, 'teacher-normalize-worker.ts');

export const normalizeOnWorkerThread: TeacherNormalizer = (dir, out) =>
  new Promise((resolve, reject) => {
    const worker = startTsWorker(ENTRY, { dir, out } satisfies NormalizeRequest);
    worker.once('message', (reply: NormalizeReply) => {
      if (reply.kind === 'ok') resolve(reply.teacher);
      else if (reply.kind === 'refused') reject(new TeacherImportError(reply.file, reply.message));
      else reject(new Error(`teacher import failed: ${reply.message}`));
      void worker.terminate();
    });
    worker.once('error', reject);
    // After a reply this settles nothing; before one it is a crashed thread, not a hang.
    worker.once('exit', (code) => reject(new Error(`the teacher import thread exited with code ${code}`)));
  });
