/**
 * A user's dataset as a search carries it: a task definition (name, kind, column mapping) and the
 * train/dev files as artifact refs. Pure types and checks (no Node APIs): the search spec, the
 * workflow payload and the trainer job all hold this, never the examples themselves (Temporal
 * payloads are limited to 2 MB, and a worker on another machine reads the files from the store).
 *
 * The label set is derived from the train file, sorted by code point, so the same file gives the
 * same label order whatever order its rows are in (see data/user-data.ts), unless `labels` gives
 * the order: a fine-tuned teacher's id2label, so the student's logit i is the teacher's logit i.
 * It lives with the search spec (not in data/) because the spec and workflow code import it, and
 * search/ depends on nothing but space/ and core/.
 */
export type DataFormat = 'csv' | 'tsv' | 'jsonl';
export const DATA_FORMATS: readonly DataFormat[] = ['csv', 'tsv', 'jsonl'];

export interface DataFileRef {
  /** Artifact ref of the file's bytes. */
  readonly ref: string;
  readonly format: DataFormat;
  /** The name the user knows the file by, for error messages (e.g. "train.csv"). */
  readonly filename: string;
}

export interface DataColumns {
  readonly text: string;
  readonly textPair?: string;
  readonly label: string;
}

export interface UserDataSpec {
  /** The task's name: the model is served as `<search id>-<name>`. */
  readonly name: string;
  readonly kind: 'classification' | 'regression';
  readonly train: DataFileRef;
  readonly dev: DataFileRef;
  readonly columns: DataColumns;
  /** Classification: the labels in logit order (every data label among them); unset: sorted. */
  readonly labels?: readonly string[];
}

export const DEFAULT_USER_TASK = 'custom';
export const DEFAULT_COLUMNS: DataColumns = { text: 'text', label: 'label' };

/** The format a file name's extension implies, if any. */
export function formatOfFilename(filename: string): DataFormat | undefined {
  const m = /\.([A-Za-z]+)$/.exec(filename);
  const ext = m?.[1]?.toLowerCase();
  if (ext === 'csv' || ext === 'tsv' || ext === 'jsonl') return ext;
  if (ext === 'ndjson') return 'jsonl';
  return undefined;
}
