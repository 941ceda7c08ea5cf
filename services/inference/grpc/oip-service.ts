/** inference.GRPCInferenceService: the Open Inference Protocol v2 with Triton's extensions. */
import type * as grpc from '@grpc/grpc-js';
import { version as SERVER_VERSION } from '../../../package.json';
import { invalidArgument, notFound } from '../../grpc/errors';
import type { ModelVersion } from '../repository/model-version';
import { sequenceBucket } from '../runtime/batch-tensors';
import type { TensorInfo } from '../runtime/worker-protocol';
import { requestStream, unary } from './handlers';
import { type InferenceContext, recordMalformed, runInference } from './inference-call';
import { decodeInferInputs, type InferInputTensor, oipDatatype, rawBytes } from './oip-tensors';
import { tritonModelConfig } from './triton-model-config';

export const SERVER_NAME = 'efficientbert-inference';

interface ModelInferRequest {
  model_name: string;
  model_version: string;
  id: string;
  inputs: InferInputTensor[];
  outputs: Array<{ name: string }>;
  raw_input_contents: Uint8Array[];
}

interface NameVersion {
  name: string;
  version: string;
}

function tensorMetadata(tensors: readonly TensorInfo[]) {
  return tensors.map((t) => ({ name: t.name, datatype: oipDatatype(t.type), shape: t.shape.map(String) }));
}

function requireModel(ctx: InferenceContext, name: string, version: string): ModelVersion {
  const model = ctx.manager.find(name, version);
  if (!model)
    throw notFound(
      `Request for unknown model: '${name}'${version ? ` version ${version}` : ''} is not found`,
    );
  return model;
}

async function modelInfer(
  ctx: InferenceContext,
  request: ModelInferRequest,
  call: Parameters<typeof runInference>[1],
) {
  return runInference(ctx, call, request.model_name, request.model_version, async (model, base) => {
    const decoded = decodeInferInputs(request, model.inputs, {
      vocabSize: model.tokenizer.vocabSize,
      maxSeqLength: model.config.maxSeqLength,
    });
    const known = new Set(model.outputs.map((o) => o.name));
    request.outputs.forEach((o, i) => {
      if (!known.has(o.name)) throw invalidArgument(`outputs[${i}].name: unknown output '${o.name}'`);
    });
    const names =
      request.outputs.length > 0 ? request.outputs.map((o) => o.name) : model.outputs.map((o) => o.name);
    const [outputs] = await model.infer([
      { ...base, ...decoded, bucket: sequenceBucket(decoded.seqLength, false) },
    ]);
    const tensors = names.map((name) => outputs![name]!);
    return {
      inferences: decoded.rows,
      response: {
        model_name: model.name,
        model_version: model.version,
        id: request.id,
        outputs: names.map((name, i) => ({
          name,
          datatype: oipDatatype(tensors[i]!.type),
          shape: tensors[i]!.dims.map(String),
        })),
        raw_output_contents: tensors.map((t) => rawBytes(t.data)),
      },
    };
  });
}

export function oipHandlers(ctx: InferenceContext): grpc.UntypedServiceImplementation {
  const malformed = () => recordMalformed(ctx);
  return {
    ServerLive: unary(() => ({ live: true })),
    ServerReady: unary(() => ({ ready: ctx.admission.accepting })),
    ModelReady: unary((req: NameVersion) => ({
      ready: ctx.admission.accepting && ctx.manager.find(req.name, req.version) !== null,
    })),
    ServerMetadata: unary(() => ({
      name: SERVER_NAME,
      version: SERVER_VERSION,
      extensions: ['model_repository', 'statistics'],
    })),
    ModelMetadata: unary((req: NameVersion) => {
      const model = requireModel(ctx, req.name, req.version);
      return {
        name: model.name,
        versions: [model.version],
        platform: 'onnxruntime_onnx',
        inputs: tensorMetadata(model.inputs),
        outputs: tensorMetadata(model.outputs),
      };
    }),
    ModelConfig: unary((req: NameVersion) => ({
      config: tritonModelConfig(requireModel(ctx, req.name, req.version)),
    })),
    ModelInfer: unary((req: ModelInferRequest, call) => modelInfer(ctx, req, call), malformed),
    ModelStreamInfer: requestStream(
      (req: ModelInferRequest, call) =>
        modelInfer(ctx, req, call).then(
          (infer_response) => ({ error_message: '', infer_response }),
          (err: Error) => ({ error_message: err.message, infer_response: null }),
        ),
      (err) => ({ error_message: err.message, infer_response: null }),
      malformed,
    ),
    ModelStatistics: unary((req: NameVersion) => {
      const models = req.name ? [requireModel(ctx, req.name, req.version)] : ctx.manager.loaded();
      return { model_stats: models.map((m) => m.stats.toMessage(m.name, m.version)) };
    }),
    RepositoryIndex: unary((req: { ready: boolean }) => ({
      models: ctx.manager.index().filter((m) => !req.ready || m.state === 'READY'),
    })),
    RepositoryModelLoad: unary(async (req: { model_name: string }) => {
      await ctx.manager.load(req.model_name);
      return {};
    }),
    RepositoryModelUnload: unary(async (req: { model_name: string }) => {
      await ctx.manager.unload(req.model_name);
      return {};
    }),
  };
}
