/**
 * GLUE task readers and the task registry. GLUE TSVs are not RFC CSV: fields are split on tabs with no
 * quoting (sentences contain quote characters). Every problem in a file is reported with its path and
 * 1-based line number, since a half-read dataset would silently skew every score computed from it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MetricName } from './metrics';
import type { GlueTaskName } from './task-names';

export interface Example {
  textA: string;
  textB?: string;
  /** Label index for classification tasks, the score for regression tasks. */
  label: number;
}

export type TaskKind = 'classification' | 'regression';
export interface GlueTask {
  name: GlueTaskName;
  /** Folder name in the GLUE distribution, e.g. "SST-2". */
  folder: string;
  kind: TaskKind;
  /** Label names in index order (empty for regression). */
  labels: readonly string[];
  metrics: readonly MetricName[];
  trainFiles: readonly string[];
  /** Dev splits by name; MNLI has matched and mismatched. */
  devFiles: Readonly<Record<string, string>>;
  read(filePath: string): Example[];
}

/** Where a task's fields are, by header name: GLUE files differ in column order and count. */
interface HeaderLayout {
  textA: string;
  textB?: string;
  label: string;
}

function fail(file: string, line: number, problem: string): never {
  throw new Error(`${file}:${line}: ${problem}`);
}

/** Lines of a TSV file as tab-split fields, with their 1-based line numbers; trailing blank lines dropped. */
function readTsvRows(file: string): { line: number; fields: string[] }[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read: ${(err as Error).message}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return lines.map((l, i) => ({ line: i + 1, fields: l.split('\t') }));
}

/** The label index (classification) or score (regression), or null when the field is not valid. */
function parseLabel(kind: TaskKind, raw: string, rawLabels: readonly string[]): number | null {
  if (kind === 'regression') {
    const value = raw.trim() === '' ? Number.NaN : Number(raw);
    return Number.isFinite(value) ? value : null;
  }
  const index = rawLabels.indexOf(raw.trim());
  return index >= 0 ? index : null;
}

function describeLabels(kind: TaskKind, rawLabels: readonly string[]): string {
  return kind === 'regression' ? 'a number' : `one of ${rawLabels.join(', ')}`;
}

/** A reader for files with a header row naming the columns; every row must have the header's width. */
function headerReader(kind: TaskKind, layout: HeaderLayout, rawLabels: readonly string[]) {
  return (file: string): Example[] => {
    const rows = readTsvRows(file);
    if (rows.length === 0) fail(file, 1, 'empty file, expected a header row');
    const header = rows[0]!.fields;
    const column = (name: string): number => {
      const i = header.indexOf(name);
      if (i < 0) fail(file, 1, `header has no "${name}" column (found: ${header.join(', ')})`);
      return i;
    };
    const a = column(layout.textA);
    const b = layout.textB === undefined ? -1 : column(layout.textB);
    const l = column(layout.label);
    return rows.slice(1).map(({ line, fields }) => {
      if (fields.length !== header.length) {
        fail(file, line, `expected ${header.length} tab-separated columns, found ${fields.length}`);
      }
      const label = parseLabel(kind, fields[l]!, rawLabels);
      if (label === null) {
        fail(
          file,
          line,
          `bad label ${JSON.stringify(fields[l])}, expected ${describeLabels(kind, rawLabels)}`,
        );
      }
      const example: Example = { textA: fields[a]!, label };
      if (b >= 0) example.textB = fields[b]!;
      return example;
    });
  };
}

const BINARY = ['0', '1'] as const;

/**
 * CoLA comes in two header-less layouts: canonical GLUE (source, label, original mark, sentence) and
 * our 2-column copy (sentence, label). The width of the first row decides; all rows must match it.
 */
function readCola(file: string): Example[] {
  const rows = readTsvRows(file);
  if (rows.length === 0) return [];
  const width = rows[0]!.fields.length;
  if (width !== 4 && width !== 2) {
    fail(
      file,
      1,
      `expected 4 columns (source, label, mark, sentence) or 2 (sentence, label), found ${width}`,
    );
  }
  const [textColumn, labelColumn] = width === 4 ? [3, 1] : [0, 1];
  return rows.map(({ line, fields }) => {
    if (fields.length !== width) {
      fail(file, line, `expected ${width} tab-separated columns, found ${fields.length}`);
    }
    const raw = fields[labelColumn]!;
    const label = parseLabel('classification', raw, BINARY);
    if (label === null) fail(file, line, `bad label ${JSON.stringify(raw)}, expected 0 or 1`);
    return { textA: fields[textColumn]!, label };
  });
}

function task(
  spec: Omit<GlueTask, 'read' | 'trainFiles' | 'devFiles'> & {
    devFiles?: Record<string, string>;
    layout: HeaderLayout;
    /** How each label appears in the file, in label index order. */
    rawLabels?: readonly string[];
  },
): GlueTask {
  const { layout, rawLabels, devFiles, ...rest } = spec;
  return {
    ...rest,
    trainFiles: ['train.tsv'],
    devFiles: devFiles ?? { dev: 'dev.tsv' },
    read: headerReader(rest.kind, layout, rawLabels ?? rest.labels),
  };
}

/**
 * The GLUE tasks. Label orders follow the original BERT run_classifier processors, which the
 * EfficientBERT code inherits (so MNLI is contradiction, entailment, neutral).
 */
export const GLUE_TASKS: Readonly<Record<GlueTaskName, GlueTask>> = {
  sst2: task({
    name: 'sst2',
    folder: 'SST-2',
    kind: 'classification',
    labels: ['negative', 'positive'],
    rawLabels: BINARY,
    metrics: ['accuracy'],
    layout: { textA: 'sentence', label: 'label' },
  }),
  cola: {
    name: 'cola',
    folder: 'CoLA',
    kind: 'classification',
    labels: ['unacceptable', 'acceptable'],
    metrics: ['mcc'],
    trainFiles: ['train.tsv'],
    devFiles: { dev: 'dev.tsv' },
    read: readCola,
  },
  stsb: task({
    name: 'stsb',
    folder: 'STS-B',
    kind: 'regression',
    labels: [],
    metrics: ['pearson', 'spearman'],
    layout: { textA: 'sentence1', textB: 'sentence2', label: 'score' },
  }),
  mrpc: task({
    name: 'mrpc',
    folder: 'MRPC',
    kind: 'classification',
    labels: ['not_equivalent', 'equivalent'],
    rawLabels: BINARY,
    metrics: ['f1', 'accuracy'],
    layout: { textA: '#1 String', textB: '#2 String', label: 'Quality' },
  }),
  rte: task({
    name: 'rte',
    folder: 'RTE',
    kind: 'classification',
    labels: ['entailment', 'not_entailment'],
    metrics: ['accuracy'],
    layout: { textA: 'sentence1', textB: 'sentence2', label: 'label' },
  }),
  qnli: task({
    name: 'qnli',
    folder: 'QNLI',
    kind: 'classification',
    labels: ['entailment', 'not_entailment'],
    metrics: ['accuracy'],
    layout: { textA: 'question', textB: 'sentence', label: 'label' },
  }),
  qqp: task({
    name: 'qqp',
    folder: 'QQP',
    kind: 'classification',
    labels: ['not_duplicate', 'duplicate'],
    rawLabels: BINARY,
    metrics: ['f1', 'accuracy'],
    layout: { textA: 'question1', textB: 'question2', label: 'is_duplicate' },
  }),
  mnli: task({
    name: 'mnli',
    folder: 'MNLI',
    kind: 'classification',
    labels: ['contradiction', 'entailment', 'neutral'],
    metrics: ['accuracy'],
    devFiles: { dev_matched: 'dev_matched.tsv', dev_mismatched: 'dev_mismatched.tsv' },
    layout: { textA: 'sentence1', textB: 'sentence2', label: 'gold_label' },
  }),
};

export function glueTask(name: string): GlueTask {
  const found = (GLUE_TASKS as Record<string, GlueTask | undefined>)[name];
  if (found === undefined)
    throw new Error(`unknown GLUE task "${name}" (known: ${Object.keys(GLUE_TASKS).join(', ')})`);
  return found;
}

/** Reads a task's train split, or a dev split by name ("dev", or MNLI's "dev_matched"/"dev_mismatched"). */
export function readGlueSplit(glueDir: string, taskName: string, split: string): Example[] {
  const t = glueTask(taskName);
  const dir = path.join(glueDir, t.folder);
  if (split === 'train') return t.trainFiles.flatMap((f) => t.read(path.join(dir, f)));
  const file = t.devFiles[split];
  if (file === undefined) {
    throw new Error(
      `task ${t.name} has no split "${split}" (known: train, ${Object.keys(t.devFiles).join(', ')})`,
    );
  }
  return t.read(path.join(dir, file));
}
