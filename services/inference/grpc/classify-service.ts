/** efficientbert.v1.Inference: text in, labels out, tokenized in the server. */
import * as grpc from '@grpc/grpc-js';
import { notFound, toServiceError } from '../../grpc/errors';
import type { IndexEntry } from '../repository/model-manager';
import type { ModelVersion } from '../repository/model-version';
import { encodeTexts, softmax, type TextInput, type Truncation, textJobs } from '../runtime/text-encoding';
import { requestStream, unary } from './handlers';
import { type CallControl, type InferenceContext, recordMalformed, runInference } from './inference-call';

interface ClassifyRequest {
  model_name: string;
  model_version: string;
  inputs: TextInput[];
  truncation: 'TRUNCATION_UNSPECIFIED' | Truncation;
  id: string;
}

interface Classification {
  label: string;
  score: number;
  probabilities: Array<{ label: string; probability: number }>;
  truncated: boolean;
  token_count: number;
}

function classifyRows(
  model: ModelVersion,
  logits: Float32Array,
  rows: number,
): Array<Omit<Classification, 'truncated' | 'token_count'>> {
  const width = logits.length / rows;
  return Array.from({ length: rows }, (_, r) => {
    const row = logits.subarray(r * width, (r + 1) * width);
    if (model.config.task === 'regression') return { label: '', score: row[0]!, probabilities: [] };
    const probabilities = softmax(row);
    const best = probabilities.indexOf(Math.max(...probabilities));
    return {
      label: model.config.labels[best]!,
      score: probabilities[best]!,
      probabilities: probabilities.map((probability, i) => ({ label: model.config.labels[i]!, probability })),
    };
  });
}

async function classify(ctx: InferenceContext, request: ClassifyRequest, call: CallControl) {
  return runInference(ctx, call, request.model_name, request.model_version, async (model, base) => {
    const truncation: Truncation = request.truncation === 'REJECT' ? 'REJECT' : 'TRUNCATE';
    const encoded = encodeTexts(model.tokenizer, request.inputs, model.config.maxSeqLength, truncation);
    const inputNames = model.inputs.map((i) => i.name);
    const jobs = textJobs(encoded, inputNames, model.maxBatchSize, base);
    const outputs = await model.infer(jobs);
    const results: Classification[] = new Array(encoded.length);
    jobs.forEach((job, j) => {
      const rows = classifyRows(model, outputs[j]!.logits!.data as Float32Array, job.rows);
      job.positions.forEach((position, r) => {
        const e = encoded[position]!;
        results[position] = { ...rows[r]!, truncated: e.truncated, token_count: e.inputIds.length };
      });
    });
    return {
      inferences: encoded.length,
      response: { model_name: model.name, model_version: model.version, results, id: request.id },
    };
  });
}

function modelInfo(entry: IndexEntry, model: ModelVersion | null) {
  return {
    name: entry.name,
    version: entry.version,
    state: entry.state,
    reason: entry.reason,
    task: model?.config.task ?? '',
    labels: model?.config.labels ?? [],
    max_seq_length: model?.config.maxSeqLength ?? 0,
    architecture: model?.config.architecture ?? '',
    metrics: model?.config.metrics ?? {},
    execution_provider: model?.providers[0] ?? '',
  };
}

export function classifyHandlers(ctx: InferenceContext): grpc.UntypedServiceImplementation {
  const malformed = () => recordMalformed(ctx);
  const streamAnswer = (err: unknown, id: string) => {
    const e = toServiceError(err);
    return { code: e.code, error_message: e.message, response: null, id };
  };
  return {
    Classify: unary((req: ClassifyRequest, call) => classify(ctx, req, call), malformed),
    ClassifyStream: requestStream(
      (req: ClassifyRequest, call) =>
        classify(ctx, req, call).then(
          (response) => ({ code: grpc.status.OK, error_message: '', response, id: req.id }),
          (err: unknown) => streamAnswer(err, req.id),
        ),
      (err) => streamAnswer(err, ''),
      malformed,
    ),
    ListModels: unary((req: { ready_only: boolean }) => ({
      models: ctx.manager
        .index()
        .filter((e) => !req.ready_only || e.state === 'READY')
        .map((e) => modelInfo(e, ctx.manager.find(e.name))),
    })),
    GetModel: unary((req: { name: string; version: string }) => {
      const entry = ctx.manager.index().find((e) => e.name === req.name);
      const model = ctx.manager.find(req.name, req.version);
      if (!entry || (req.version && !model)) {
        throw notFound(`unknown model '${req.name}'${req.version ? ` version ${req.version}` : ''}`);
      }
      return modelInfo(entry, model);
    }),
  };
}
