/**
 * A user's dataset, read: the train and dev files parsed with the column mapping, the label set
 * taken from the train file (sorted by code point: stable whatever the row order, and the order
 * the served model's labels have), and both splits as examples. Every problem names the file, the
 * line and what is wrong.
 */

import type { DataColumns, DataFormat, UserDataSpec } from '../search/data-spec';
import { DataFileError, readDelimitedRecords, readJsonlRecords } from './delimited';
import type { Example, TaskKind } from './glue';
import type { MetricName } from './metrics';

export interface UserTask {
  readonly name: string;
  readonly kind: TaskKind;
  /** Label names in index order (empty for regression). */
  readonly labels: readonly string[];
  readonly metrics: readonly MetricName[];
  readonly train: readonly Example[];
  readonly dev: readonly Example[];
}

/** One example before its label is mapped to an index. */
interface RawExample {
  readonly line: number;
  readonly textA: string;
  readonly textB?: string;
  readonly label: string;
}

type RawRecord = { line: number; values: Record<string, unknown> };

function recordsOf(
  text: string,
  file: string,
  format: DataFormat,
): { header?: string[]; records: RawRecord[] } {
  if (format === 'jsonl') return { records: readJsonlRecords(text, file) };
  return readDelimitedRecords(text, file, format === 'csv' ? ',' : '\t');
}

/** The mapped columns of every record, checked: present, text non-empty, label usable for `kind`. */
export function readExamples(
  text: string,
  file: string,
  format: DataFormat,
  columns: DataColumns,
  kind: TaskKind,
): RawExample[] {
  const { header, records } = recordsOf(text, file, format);
  const wanted: [keyof DataColumns, string][] = [
    ['text', columns.text],
    ...(columns.textPair === undefined
      ? []
      : [['textPair', columns.textPair] as [keyof DataColumns, string]]),
    ['label', columns.label],
  ];
  if (header) {
    for (const [role, name] of wanted)
      if (!header.includes(name))
        throw new DataFileError(
          file,
          1,
          `header has no "${name}" column (found: ${header.join(', ')})`,
          role,
        );
  }
  if (records.length === 0) throw new DataFileError(file, 1, 'no examples after the header');
  return records.map(({ line, values }) => {
    const field = (role: keyof DataColumns, name: string): unknown => {
      if (!(name in values)) throw new DataFileError(file, line, `no "${name}" field`, role);
      return values[name];
    };
    const text = (role: keyof DataColumns, name: string): string => {
      const v = field(role, name);
      if (typeof v !== 'string') throw new DataFileError(file, line, `"${name}" must be a string`);
      if (v.trim() === '') throw new DataFileError(file, line, `empty text in column "${name}"`);
      return v;
    };
    const rawLabel = field('label', columns.label);
    if (typeof rawLabel !== 'string' && typeof rawLabel !== 'number' && typeof rawLabel !== 'boolean')
      throw new DataFileError(file, line, `label "${columns.label}" must be a string or a number`);
    const label = String(rawLabel).trim();
    if (label === '') throw new DataFileError(file, line, `empty label in column "${columns.label}"`);
    if (kind === 'regression' && !Number.isFinite(Number(label)))
      throw new DataFileError(file, line, `label ${JSON.stringify(label)} is not a number (regression)`);
    return {
      line,
      textA: text('text', columns.text),
      ...(columns.textPair === undefined ? {} : { textB: text('textPair', columns.textPair) }),
      label,
    };
  });
}

function toExample(e: RawExample, label: number): Example {
  return { textA: e.textA, ...(e.textB === undefined ? {} : { textB: e.textB }), label };
}

/** Reads both splits of a user dataset from their file contents. */
export function readUserTask(spec: UserDataSpec, trainText: string, devText: string): UserTask {
  const { kind, columns } = spec;
  const train = readExamples(trainText, spec.train.filename, spec.train.format, columns, kind);
  const dev = readExamples(devText, spec.dev.filename, spec.dev.format, columns, kind);
  if (kind === 'regression') {
    return {
      name: spec.name,
      kind,
      labels: [],
      metrics: ['pearson', 'spearman'],
      train: train.map((e) => toExample(e, Number(e.label))),
      dev: dev.map((e) => toExample(e, Number(e.label))),
    };
  }
  const labels =
    spec.labels ?? [...new Set(train.map((e) => e.label))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (labels.length < 2)
    throw new DataFileError(
      spec.train.filename,
      train[0]!.line,
      `classification needs at least 2 labels, the file has only ${JSON.stringify(labels[0])}`,
    );
  const index = new Map(labels.map((l, i) => [l, i]));
  const labelOf = (e: RawExample, file: string) => {
    const i = index.get(e.label);
    if (i === undefined)
      throw new DataFileError(
        file,
        e.line,
        `label ${JSON.stringify(e.label)} is not in ${spec.labels ? "the search's labels" : "the train file's labels"} (${labels.join(', ')})`,
      );
    return i;
  };
  return {
    name: spec.name,
    kind,
    labels,
    metrics: ['accuracy'],
    train: train.map((e) => toExample(e, labelOf(e, spec.train.filename))),
    dev: dev.map((e) => toExample(e, labelOf(e, spec.dev.filename))),
  };
}
