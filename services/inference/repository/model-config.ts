/**
 * `model.json`: the description of one model version in the repository, written by the exporter
 * next to `model.onnx`. The ONNX graph is expected to take int64 `input_ids` (required),
 * `attention_mask` and `token_type_ids` (optional), all shaped [batch, sequence], and to produce a
 * float `logits` output shaped [batch, labels] (regression: [batch, 1]).
 */
import { isAbsolute, normalize, sep } from 'node:path';

export type ModelTask = 'classification' | 'regression';

export interface ModelPackageConfig {
  task: ModelTask;
  /** Label names in logit order (classification); regression may name its single output. */
  labels: string[];
  /** The longest token sequence the model accepts, special tokens included. */
  maxSeqLength: number;
  /** Tokenizer directory (holding tokenizer.json), relative to the version directory. */
  tokenizer: string;
  /** The architecture in the paper's notation or any human-readable description. */
  architecture: string;
  /** Evaluation results at export time, e.g. { accuracy: 0.91 }. */
  metrics: Record<string, number>;
}

export class ModelConfigError extends Error {}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks parsed model.json content; the error names the offending field. */
export function validateModelConfig(value: unknown): ModelPackageConfig {
  const fail = (field: string, problem: string): never => {
    throw new ModelConfigError(`model.json: '${field}' ${problem}`);
  };
  if (!isRecord(value)) return fail('(root)', 'must be an object');
  const { task, labels, maxSeqLength, tokenizer, architecture, metrics } = value;
  if (task !== 'classification' && task !== 'regression') {
    fail('task', `must be 'classification' or 'regression', got ${JSON.stringify(task)}`);
  }
  if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string' && l.length > 0)) {
    fail('labels', 'must be an array of non-empty strings');
  }
  const labelList = labels as string[];
  if (new Set(labelList).size !== labelList.length) fail('labels', 'must not repeat a label');
  if (task === 'classification' && labelList.length < 2)
    fail('labels', 'needs at least 2 labels for classification');
  if (task === 'regression' && labelList.length > 1) fail('labels', 'has at most 1 entry for regression');
  if (!Number.isInteger(maxSeqLength) || (maxSeqLength as number) < 2)
    fail('maxSeqLength', 'must be an integer >= 2');
  if (typeof tokenizer !== 'string' || tokenizer.length === 0)
    fail('tokenizer', 'must be a non-empty string');
  const tokenizerPath = normalize(tokenizer as string);
  if (isAbsolute(tokenizerPath) || tokenizerPath === '..' || tokenizerPath.startsWith(`..${sep}`)) {
    fail('tokenizer', 'must be a path inside the version directory');
  }
  if (typeof architecture !== 'string') fail('architecture', 'must be a string');
  if (
    !isRecord(metrics) ||
    !Object.values(metrics).every((m) => typeof m === 'number' && Number.isFinite(m))
  ) {
    fail('metrics', 'must be an object of finite numbers');
  }
  return {
    task: task as ModelTask,
    labels: [...labelList],
    maxSeqLength: maxSeqLength as number,
    tokenizer: tokenizer as string,
    architecture: architecture as string,
    metrics: { ...(metrics as Record<string, number>) },
  };
}
