/**
 * `models evaluate NAME --data FILE`: scores a served model on a labelled file through the
 * inference service itself (Classify), so the figure is the one users get: the exported model,
 * its own tokenizer and the server's truncation, not the trainer's view of it. The file has the
 * layout of `search start --train` (CSV, TSV or JSONL, the same column flags), typically a test
 * split the search never saw.
 */
import { readFileSync } from 'node:fs';
import { DataFileError } from '../../../efficientbert/data/delimited';
import { computeMetrics, type MetricName } from '../../../efficientbert/data/metrics';
import { readExamples } from '../../../efficientbert/data/user-data';
import { DEFAULT_COLUMNS } from '../../../efficientbert/search/data-spec';
import { intFlag, type ParsedArgs, printJson } from '../args';
import { EXIT, UsageError } from '../command';
import type { Message, RpcClient } from '../rpc';
import { dataFileFormat } from '../search/upload-data';

/** Texts per Classify request: the server splits them into batches of its own. */
const DEFAULT_BATCH = 64;

export const EVALUATE_FLAGS = {
  data: { type: 'string' },
  version: { type: 'string' },
  'text-column': { type: 'string' },
  'text-pair-column': { type: 'string' },
  'label-column': { type: 'string' },
  'label-index': { type: 'boolean', default: false },
  batch: { type: 'string' },
} as const;

export const EVALUATE_USAGE = `evaluate: scores a served model on a labelled file through the inference service (Classify).
  --data FILE       .csv, .tsv or .jsonl with a header (JSONL: one object per line), as for
                    \`search start --train\`
  --version V       (default: the newest loaded version; every request is pinned to it)
  --text-column C --text-pair-column C --label-column C   the columns (default text, label)
  --label-index     labels are indexes into the model's labels (0, 1, ... as GLUE files have),
                    not label names
  --batch N         texts per request (default ${DEFAULT_BATCH})
  Classification: accuracy, and f1 (of the second label) and mcc for two labels; regression:
  pearson and spearman. A label the model does not have is refused, naming file and line.`;

interface Scored {
  model: string;
  version: string;
  file: string;
  rows: number;
  truncated: number;
  metrics: Partial<Record<MetricName, number>>;
}

/** The model's label index of a file's label (name or, with --label-index, index). */
function labelIndexer(labels: readonly string[], byIndex: boolean, file: string) {
  const index = new Map(labels.map((l, i) => [l, i]));
  return (label: string, line: number): number => {
    const i = byIndex ? (/^[0-9]+$/.test(label) ? Number(label) : -1) : (index.get(label) ?? -1);
    if (i < 0 || i >= labels.length) {
      const expected = byIndex
        ? `an index 0-${labels.length - 1}`
        : `one of the model's labels (${labels.join(', ')})`;
      throw new DataFileError(file, line, `label ${JSON.stringify(label)} is not ${expected}`);
    }
    return i;
  };
}

function metricsFor(kind: 'classification' | 'regression', labels: readonly string[]): MetricName[] {
  if (kind === 'regression') return ['pearson', 'spearman'];
  return labels.length === 2 ? ['accuracy', 'f1', 'mcc'] : ['accuracy'];
}

async function score(rpc: RpcClient, name: string, version: string, args: ParsedArgs): Promise<Scored> {
  const file = args.values.data as string;
  const format = dataFileFormat(file);
  const model = await rpc.unary('GetModel', { name, version });
  if (model.state !== 'READY')
    throw new UsageError(`model ${name} v${model.version} is ${model.state}, not READY`, EXIT.failure);
  const kind = model.task === 'regression' ? 'regression' : 'classification';
  const labels: string[] = model.labels ?? [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`, EXIT.failure);
  }
  const columns = {
    text: (args.values['text-column'] as string | undefined) ?? DEFAULT_COLUMNS.text,
    label: (args.values['label-column'] as string | undefined) ?? DEFAULT_COLUMNS.label,
    ...(args.values['text-pair-column'] === undefined
      ? {}
      : { textPair: args.values['text-pair-column'] as string }),
  };
  const examples = readExamples(text, file, format, columns, kind);
  const indexOf = labelIndexer(labels, args.values['label-index'] === true, file);
  const truth = examples.map((e) => (kind === 'regression' ? Number(e.label) : indexOf(e.label, e.line)));
  const batch = intFlag(args.values, 'batch') ?? DEFAULT_BATCH;
  if (batch === 0) throw new UsageError('--batch must be at least 1');
  const predictions: number[] = [];
  let truncated = 0;
  for (let start = 0; start < examples.length; start += batch) {
    const reply = await rpc.unary('Classify', {
      model_name: name,
      // Pinned: a version loaded mid-run must not score half of the file.
      model_version: String(model.version),
      inputs: examples.slice(start, start + batch).map((e) => ({ text: e.textA, text_pair: e.textB ?? '' })),
      truncation: 'TRUNCATE',
    });
    for (const r of reply.results as Message[]) {
      predictions.push(kind === 'regression' ? Number(r.score) : labels.indexOf(r.label));
      if (r.truncated) truncated++;
    }
  }
  return {
    model: name,
    version: String(model.version),
    file,
    rows: examples.length,
    truncated,
    metrics: computeMetrics(metricsFor(kind, labels), predictions, truth),
  };
}

export async function evaluateModel(args: ParsedArgs, rpc: RpcClient): Promise<number> {
  const [, name, ...extra] = args.positionals;
  if (!name || extra.length > 0) throw new UsageError('models evaluate takes one model name');
  if (args.values.data === undefined) throw new UsageError('models evaluate: --data FILE is required');
  let scored: Scored;
  try {
    scored = await score(rpc, name, (args.values.version as string | undefined) ?? '', args);
  } catch (err) {
    if (err instanceof DataFileError) throw new UsageError(err.message, EXIT.failure);
    throw err;
  }
  if (args.json) printJson(scored);
  else {
    console.log(
      `${scored.model} v${scored.version} on ${scored.file}: ${scored.rows} rows (${scored.truncated} truncated)`,
    );
    for (const [metric, value] of Object.entries(scored.metrics))
      console.log(`${metric} ${value.toFixed(4)}`);
  }
  return EXIT.ok;
}
