/**
 * SearchSpec.data (proto DataSpec) ↔ UserDataSpec, and the check of a dataset against the artifact
 * store before a search starts: a bad mapping or a malformed file fails StartSearch with the field
 * and the file's line, instead of failing a training minutes later on a worker.
 */
import { ArtifactNotFoundError, type ArtifactStore, isArtifactRef } from '../../efficientbert/artifacts';
import type { FieldError } from '../../efficientbert/core/field-errors';
import { DataFileError } from '../../efficientbert/data/delimited';
import { GLUE_TASKS } from '../../efficientbert/data/glue';
import {
  DATA_FORMATS,
  type DataFileRef,
  type DataFormat,
  DEFAULT_COLUMNS,
  DEFAULT_USER_TASK,
  type UserDataSpec,
} from '../../efficientbert/search/data-spec';
import { parseUserDataOnWorkerThread } from './data-check-thread';

export interface PbDataFile {
  ref: string;
  format: string;
  filename: string;
}

export interface PbDataSpec {
  name: string;
  kind: string;
  train?: PbDataFile | null;
  dev?: PbDataFile | null;
  text_column: string;
  text_pair_column: string;
  label_column: string;
  labels?: string[];
}

const FIELD = 'spec.data';

function fileFromPb(
  pb: PbDataFile | null | undefined,
  split: 'train' | 'dev',
  errors: FieldError[],
): DataFileRef | undefined {
  const field = `${FIELD}.${split}`;
  if (!pb) {
    errors.push({ field, message: 'is required' });
    return undefined;
  }
  if (!isArtifactRef(pb.ref))
    errors.push({
      field: `${field}.ref`,
      message: `must be an artifact ref sha256:<64 hex>, got '${pb.ref}'`,
    });
  if (!DATA_FORMATS.includes(pb.format as DataFormat))
    errors.push({
      field: `${field}.format`,
      message: `must be one of ${DATA_FORMATS.join(', ')}, got '${pb.format}'`,
    });
  return { ref: pb.ref, format: pb.format as DataFormat, filename: pb.filename || split };
}

/** The dataset of a request, or the field errors of its shape (nothing is read yet). */
export function dataFromPb(pb: PbDataSpec): { data?: UserDataSpec; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const name = pb.name || DEFAULT_USER_TASK;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name) || name.length > 64)
    errors.push({
      field: `${FIELD}.name`,
      message: `must be lowercase letters, digits and dashes, got '${name}'`,
    });
  else if (name in GLUE_TASKS)
    errors.push({ field: `${FIELD}.name`, message: `'${name}' is a GLUE task; name your dataset otherwise` });
  const kind = pb.kind || 'classification';
  if (kind !== 'classification' && kind !== 'regression')
    errors.push({ field: `${FIELD}.kind`, message: `must be classification or regression, got '${kind}'` });
  const train = fileFromPb(pb.train, 'train', errors);
  const dev = fileFromPb(pb.dev, 'dev', errors);
  const columns = {
    text: pb.text_column || DEFAULT_COLUMNS.text,
    ...(pb.text_pair_column ? { textPair: pb.text_pair_column } : {}),
    label: pb.label_column || DEFAULT_COLUMNS.label,
  };
  const names = [columns.text, columns.textPair, columns.label].filter((c) => c !== undefined);
  if (new Set(names).size !== names.length)
    errors.push({
      field: `${FIELD}.label_column`,
      message: `text, pair and label columns must differ (${names.join(', ')})`,
    });
  const labels = pb.labels ?? [];
  if (labels.length > 0) {
    const field = `${FIELD}.labels`;
    if (kind !== 'classification') errors.push({ field, message: 'are for classification only' });
    else if (labels.length < 2) errors.push({ field, message: `need at least 2, got ${labels.length}` });
    else if (labels.some((l) => l.trim() === '' || l !== l.trim()))
      errors.push({ field, message: 'must be non-empty, without leading or trailing spaces' });
    else if (new Set(labels).size !== labels.length)
      errors.push({ field, message: `must be distinct, got ${JSON.stringify(labels)}` });
  }
  if (errors.length || !train || !dev) return { errors };
  return {
    data: {
      name,
      kind: kind as UserDataSpec['kind'],
      train,
      dev,
      columns,
      ...(labels.length > 0 ? { labels } : {}),
    },
    errors,
  };
}

export function dataToPb(d: UserDataSpec): PbDataSpec {
  return {
    name: d.name,
    kind: d.kind,
    train: { ...d.train },
    dev: { ...d.dev },
    text_column: d.columns.text,
    text_pair_column: d.columns.textPair ?? '',
    label_column: d.columns.label,
    labels: [...(d.labels ?? [])],
  };
}

/** Why a dataset cannot start a search: a missing artifact, or a request field that is wrong. */
export interface DataProblem {
  readonly kind: 'not-found' | 'invalid';
  readonly field: string;
  readonly message: string;
}

const COLUMN_FIELD: Readonly<Record<string, string>> = {
  text: `${FIELD}.text_column`,
  textPair: `${FIELD}.text_pair_column`,
  label: `${FIELD}.label_column`,
};

/**
 * Reads the dataset's files from the store and parses them the way the trainer will (on a worker
 * thread); answers the label order (empty for regression) or the problem.
 */
export async function checkUserData(
  store: ArtifactStore,
  data: UserDataSpec,
): Promise<{ labels?: readonly string[]; problem?: DataProblem }> {
  const bytes: Buffer[] = [];
  for (const split of ['train', 'dev'] as const) {
    try {
      bytes.push(await store.getBytes(data[split].ref));
    } catch (err) {
      if (!(err instanceof ArtifactNotFoundError)) throw err;
      return {
        problem: {
          kind: 'not-found',
          field: `${FIELD}.${split}.ref`,
          message: `artifact ${data[split].ref} not found (upload it with UploadArtifact first)`,
        },
      };
    }
  }
  try {
    return { labels: await parseUserDataOnWorkerThread(data, bytes[0]!, bytes[1]!) };
  } catch (err) {
    if (!(err instanceof DataFileError)) throw err;
    const split = err.file === data.dev.filename && err.file !== data.train.filename ? 'dev' : 'train';
    const field = err.column ? COLUMN_FIELD[err.column]! : `${FIELD}.${split}`;
    return { problem: { kind: 'invalid', field, message: err.message } };
  }
}
