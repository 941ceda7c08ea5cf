import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ArtifactRef, ArtifactStore } from '../artifacts';
import { WordPieceTokenizer } from '../data/tokenizer';
import { serializeSafetensors } from './safetensors';
import { loadTeacher, TOKENIZER_FILES } from './teacher';
import { type TeacherConfig, teacherConfigFromHf } from './teacher-config';
import { readTorchCheckpoint } from './torch-checkpoint';

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
 * Every file of a Hugging Face BERT folder that import reads (a folder's other files, such as
 * training_args.bin or README.md, are not part of the teacher).
 */
export const TEACHER_FOLDER_FILES: readonly string[] = [
  'config.json',
  'model.safetensors',
  'pytorch_model.bin',
  ...TOKENIZER_FILES,
];

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
  /** Where the weights came from: model.safetensors as is, or converted from pytorch_model.bin. */
  readonly weightsFrom: 'model.safetensors' | 'pytorch_model.bin';
}

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

/** Writes the weights as model.safetensors into `out`; returns where they came from. */
function writeWeights(dir: string, out: string): ImportedTeacher['weightsFrom'] {
  const st = path.join(dir, 'model.safetensors');
  if (fs.existsSync(st)) {
    fs.copyFileSync(st, path.join(out, 'model.safetensors'));
    return 'model.safetensors';
  }
  const bin = path.join(dir, 'pytorch_model.bin');
  if (!fs.existsSync(bin)) {
    const sharded = ['model.safetensors.index.json', 'pytorch_model.bin.index.json'].find((f) =>
      fs.existsSync(path.join(dir, f)),
    );
    throw new TeacherImportError(
      sharded ?? 'model.safetensors',
      sharded
        ? 'sharded checkpoints are not supported: save the model with a larger max_shard_size'
        : 'missing (and no pytorch_model.bin to convert)',
    );
  }
  let entries: ReturnType<typeof readTorchCheckpoint>;
  try {
    entries = readTorchCheckpoint(bin);
  } catch (err) {
    throw new TeacherImportError('pytorch_model.bin', (err as Error).message.replace(`${bin}: `, ''));
  }
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  // Integer buffers (position_ids) are not weights; state-dict order keeps the output deterministic.
  for (const [name, e] of entries) if (e.data) tensors.set(name, { shape: e.shape, data: e.data });
  fs.writeFileSync(path.join(out, 'model.safetensors'), serializeSafetensors(tensors, { format: 'pt' }));
  return 'pytorch_model.bin';
}

/**
 * Checks a Hugging Face BERT folder and writes its normalized form into `out` (created). Throws a
 * TeacherImportError naming the file at fault.
 */
export function normalizeTeacherDir(dir: string, out: string): Omit<ImportedTeacher, 'ref'> {
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
  const weightsFrom = writeWeights(dir, out);
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
export async function importTeacher(dir: string, store: ArtifactStore): Promise<ImportedTeacher> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'efficientbert-teacher-'));
  try {
    const folder = path.join(work, 'teacher');
    const info = normalizeTeacherDir(dir, folder);
    return { ref: await store.putDir(folder), ...info };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
