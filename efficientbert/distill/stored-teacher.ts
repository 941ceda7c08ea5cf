/**
 * What a search reads from its stored teacher without loading it: the tokenizer and the label
 * names. A teacher is hundreds of MB of weights; these are a few files of its folder, fetched one
 * by one from its directory manifest, so a training that never runs the teacher (stage 3 scoring)
 * and the gateway (checking a request) stay cheap.
 *
 * The tokenizer is the teacher's because the student is distilled from the teacher's own token
 * ids: another vocabulary would feed the teacher ids it never learned (or past its embedding table),
 * and the exported student must tokenize as it was trained.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { ArtifactStore, DirManifest } from '../artifacts';
import { TOKENIZER_FILES } from '../model/teacher';
import { teacherConfigFromHf } from '../model/teacher-config';
import { labelsOf } from '../model/teacher-import';
import { isTeacherSetManifest } from './teacher-set';

/**
 * The teacher folder a search's `teacherRef` names for `task`: a folder is itself; a teacher set
 * (what a warm-up stores) gives the task's own teacher, or its general one.
 */
export async function teacherFolderOf(
  store: ArtifactStore,
  teacherRef: string,
  task?: string,
): Promise<string> {
  const stored = await store.getJson(teacherRef);
  if (!isTeacherSetManifest(stored)) return teacherRef;
  return (task !== undefined ? stored.tasks[task] : undefined) ?? stored.general;
}

async function manifestOf(store: ArtifactStore, folderRef: string): Promise<DirManifest> {
  const manifest = await store.getJson<DirManifest>(folderRef);
  if (manifest.kind !== 'efficientbert.dir-manifest')
    throw new Error(`${folderRef} is not a teacher folder (a directory artifact)`);
  return manifest;
}

/** Copies the folder's tokenizer files into `dest`; throws when it has no tokenizer. */
export async function fetchTeacherTokenizer(
  store: ArtifactStore,
  folderRef: string,
  dest: string,
): Promise<void> {
  const files = (await manifestOf(store, folderRef)).entries.filter((e) => TOKENIZER_FILES.includes(e.path));
  if (!files.some((e) => e.path === 'tokenizer.json' || e.path === 'vocab.txt'))
    throw new Error(`teacher ${folderRef} has no tokenizer.json or vocab.txt`);
  await fs.mkdir(dest, { recursive: true });
  for (const e of files) await store.getFile(e.ref, path.join(dest, e.path));
}

/** True for the names transformers makes up when a config has no id2label: LABEL_0, LABEL_1, ... */
export function areGenericLabels(labels: readonly string[]): boolean {
  return labels.every((l, i) => l === `LABEL_${i}`);
}

/**
 * The label names of the folder's task head in id order, when it has a head whose labels are named
 * (a teacher fine-tuned with id2label); empty otherwise: then nothing says which logit means what.
 */
export async function namedTeacherLabels(store: ArtifactStore, folderRef: string): Promise<string[]> {
  const entry = (await manifestOf(store, folderRef)).entries.find((e) => e.path === 'config.json');
  if (!entry) throw new Error(`teacher ${folderRef} has no config.json`);
  const json = (await store.getJson(entry.ref)) as Record<string, unknown>;
  const labels = labelsOf(json, teacherConfigFromHf(json).numLabels);
  return areGenericLabels(labels) ? [] : labels;
}
