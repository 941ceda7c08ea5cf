import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ArtifactRef, ArtifactStore } from '../artifacts';
import { WordPieceTokenizer } from '../data/tokenizer';
import { loadTeacher, TOKENIZER_FILES } from './teacher';
import { type TeacherConfig, teacherConfigFromHf } from './teacher-config';
import {
  isShardFileName,
  WEIGHT_SOURCES,
  WeightsError,
  type WeightsSource,
  weightFilesOf,
  writeTeacherWeights,
} from './teacher-weights';

/**
 * Bring-your-own teacher: a Hugging Face model folder (as `save_pretrained` writes it) is checked,
 * normalized to the folder our trainer loads (config.json, model.safetensors, the tokenizer files)
 * and stored as a directory artifact. The stored folder holds only bytes derived
 * deterministically from the input, so importing the same folder twice gives the same ref.
 */

/** Architectures whose weights are a plain BERT encoder (plus a classifier head, or heads we drop). */
export const SUPPORTED_ARCHITECTURES = [
  'BertForSequenceClassification',
  'BertModel',
  'BertForMaskedLM',
  'BertForPreTraining',
] as const;

/**
 * The fixed-name files of a Hugging Face BERT folder that import may read; shards of a sharded
 * checkpoint come on top (a folder's other files, such as training_args.bin or README.md, are not
 * part of the teacher).
 */
export const TEACHER_FOLDER_FILES: readonly string[] = ['config.json', ...WEIGHT_SOURCES, ...TOKENIZER_FILES];

export function isTeacherFolderFile(name: string): boolean {
  return TEACHER_FOLDER_FILES.includes(name) || isShardFileName(name);
}

/**
 * The files of `dir` that import reads: config, tokenizer, and the weights of the one layout it
 * picks (so a folder with both model.safetensors and pytorch_model.bin sends only the first).
 */
export function teacherFilesToRead(dir: string): string[] {
  const fixed = ['config.json', ...TOKENIZER_FILES].filter((f) => fs.existsSync(path.join(dir, f)));
  return [...fixed, ...weightFilesOf(dir)];
}

/** A refused teacher folder; `file` names the file at fault (for INVALID_ARGUMENT details). */
export class TeacherImportError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'TeacherImportError';
  }
}

export interface ImportedTeacher {
  readonly ref: ArtifactRef;
  readonly architecture: string;
  readonly config: TeacherConfig;
  /** The served labels, from id2label, in id order; empty when the checkpoint has no task head. */
  readonly labels: readonly string[];
  /** Where the weights came from: model.safetensors as is, or converted from another layout. */
  readonly weightsFrom: WeightsSource;
}

export type NormalizedTeacher = Omit<ImportedTeacher, 'ref'>;

/**
 * Checks and converts a folder into `out` (normalizeTeacherDir's contract). The local CLI runs it
 * in its own thread; the gateway passes one that runs it on a worker thread, since a BERT-base
 * folder holds a thread for seconds.
 */
export type TeacherNormalizer = (dir: string, out: string) => Promise<NormalizedTeacher>;

function readConfig(dir: string): Record<string, unknown> {
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(file))
    throw new TeacherImportError('config.json', 'missing (not a Hugging Face model folder?)');
  try {
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new Error('not a JSON object');
    return json as Record<string, unknown>;
  } catch (err) {
    throw new TeacherImportError('config.json', `cannot be read: ${(err as Error).message}`);
  }
}

function architectureOf(json: Record<string, unknown>): string {
  const archs = json.architectures;
  if (!Array.isArray(archs) || archs.length === 0)
    throw new TeacherImportError('config.json', `'architectures' must name the model class`);
  const unsupported = archs.find((a) => !(SUPPORTED_ARCHITECTURES as readonly unknown[]).includes(a));
  if (unsupported !== undefined)
    throw new TeacherImportError(
      'config.json',
      `architecture '${String(unsupported)}' is not supported (supported: ${SUPPORTED_ARCHITECTURES.join(', ')})`,
    );
  if (json.model_type !== undefined && json.model_type !== 'bert')
    throw new TeacherImportError('config.json', `model_type '${String(json.model_type)}' is not 'bert'`);
  return archs[0] as string;
}

/** id2label in id order; every id 0..n-1 must be present exactly once. */
export function labelsOf(json: Record<string, unknown>, numLabels: number): string[] {
  if (numLabels === 0) return [];
  const raw = json.id2label;
  if (raw === undefined) return Array.from({ length: numLabels }, (_, i) => `LABEL_${i}`);
  if (typeof raw !== 'object' || raw === null)
    throw new TeacherImportError('config.json', `'id2label' must be an object`);
  const map = raw as Record<string, unknown>;
  return Array.from({ length: numLabels }, (_, i) => {
    const label = map[String(i)];
    if (typeof label !== 'string' || label === '')
      throw new TeacherImportError(
        'config.json',
        `'id2label' has no label for id ${i} (num_labels ${numLabels})`,
      );
    return label;
  });
}

/**
 * Checks a Hugging Face BERT folder and writes its normalized form into `out` (created). Throws a
 * TeacherImportError naming the file at fault.
 */
export function normalizeTeacherDir(dir: string, out: string): NormalizedTeacher {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new TeacherImportError(dir, 'not a directory');
  const json = readConfig(dir);
  const architecture = architectureOf(json);
  let config: TeacherConfig;
  try {
    config = teacherConfigFromHf(json, 'config.json');
  } catch (err) {
    throw new TeacherImportError('config.json', (err as Error).message.replace(/^config\.json: /, ''));
  }
  const labels = labelsOf(json, config.numLabels);
  fs.mkdirSync(out, { recursive: true });
  fs.copyFileSync(path.join(dir, 'config.json'), path.join(out, 'config.json'));
  for (const f of TOKENIZER_FILES)
    if (fs.existsSync(path.join(dir, f))) fs.copyFileSync(path.join(dir, f), path.join(out, f));
  let tokenizer: WordPieceTokenizer;
  try {
    tokenizer = WordPieceTokenizer.fromDirectory(out);
  } catch (err) {
    const file = fs.existsSync(path.join(out, 'tokenizer.json')) ? 'tokenizer.json' : 'vocab.txt';
    throw new TeacherImportError(file, (err as Error).message.replace(`${out}: `, '').replace(`${out}/`, ''));
  }
  if (tokenizer.vocabSize > config.vocabSize)
    throw new TeacherImportError(
      'config.json',
      `vocab_size ${config.vocabSize} is smaller than the tokenizer's ${tokenizer.vocabSize} tokens`,
    );
  let weightsFrom: WeightsSource;
  try {
    weightsFrom = writeTeacherWeights(dir, out);
  } catch (err) {
    if (err instanceof WeightsError) throw new TeacherImportError(err.file, err.message);
    throw err;
  }
  try {
    loadTeacher(out).dispose();
  } catch (err) {
    throw new TeacherImportError(
      weightsFrom,
      (err as Error).message.replace(/^[^:]*model\.safetensors: /, ''),
    );
  }
  return { architecture, config, labels, weightsFrom };
}

/** Imports a Hugging Face BERT folder into the store; the ref is the normalized folder's manifest. */
export async function importTeacher(
  dir: string,
  store: ArtifactStore,
  normalize: TeacherNormalizer = async (d, out) => normalizeTeacherDir(d, out),
): Promise<ImportedTeacher> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'efficientbert-teacher-'));
  try {
    const folder = path.join(work, 'teacher');
    const info = await normalize(dir, folder);
    return { ref: await store.putDir(folder), ...info };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
