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
import { runOnTsWorker } from '../threads/ts-worker';

export interface NormalizeRequest {
  readonly dir: string;
  readonly out: string;
}

export type NormalizeReply =
  | { readonly kind: 'ok'; readonly teacher: NormalizedTeacher }
  | { readonly kind: 'refused'; readonly file: string; readonly message: string }
  | { readonly kind: 'failed'; readonly message: string };

const ENTRY = path.join(__dirname, 'teacher-normalize-worker.ts');

export const normalizeOnWorkerThread: TeacherNormalizer = async (dir, out) => {
  const reply = await runOnTsWorker<NormalizeReply>(ENTRY, { dir, out } satisfies NormalizeRequest);
  if (reply.kind === 'refused') throw new TeacherImportError(reply.file, reply.message);
  if (reply.kind === 'failed') throw new Error(`teacher import failed: ${reply.message}`);
  return reply.teacher;
};
