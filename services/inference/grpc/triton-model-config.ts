/**
 * A loaded model version as Triton's model configuration (inference.ModelConfig, model_config.proto),
 * the answer to ModelConfig. Triton's tools read it before they send anything: perf_analyzer takes
 * the batch size and input shapes from it, so it describes what this server actually accepts.
 */
import type { ModelVersion } from '../repository/model-version';
import type { TensorInfo } from '../runtime/worker-protocol';
import { oipDatatype } from './oip-tensors';

/** Execution providers that run the model on a GPU (onnxruntime-node's names). */
const GPU_PROVIDERS = new Set(['cuda', 'tensorrt', 'dml', 'webgpu']);

/** Triton's DataType names, by OIP datatype: the same names with TYPE_, except BYTES. */
const TRITON_DATA_TYPES = new Set([
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BF16',
]);

function tritonDataType(ortType: string): string {
  const datatype = oipDatatype(ortType);
  if (datatype === 'BYTES') return 'TYPE_STRING';
  return TRITON_DATA_TYPES.has(datatype) ? `TYPE_${datatype}` : 'TYPE_INVALID';
}

/**
 * Every request may carry several rows (max_batch_size > 0), so by Triton's convention the dims
 * leave out the leading batch dimension that the ONNX graph has.
 */
function tensorConfigs(tensors: readonly TensorInfo[]) {
  return tensors.map((t) => ({
    name: t.name,
    data_type: tritonDataType(t.type),
    dims: t.shape.slice(1).map(String),
  }));
}

export function tritonModelConfig(model: ModelVersion) {
  const { batching } = model;
  return {
    name: model.name,
    platform: 'onnxruntime_onnx',
    backend: 'onnxruntime',
    // Only the latest version of a model is loaded (model-manager.ts).
    version_policy: { latest: { num_versions: 1 } },
    max_batch_size: model.maxBatchSize,
    input: tensorConfigs(model.inputs),
    output: tensorConfigs(model.outputs),
    // Without dynamic batching each request runs alone, as under Triton's default scheduler.
    ...(batching.enabled
      ? { dynamic_batching: { max_queue_delay_microseconds: String(batching.maxQueueDelayMs * 1000) } }
      : {}),
    instance_group: [
      {
        // The name Triton gives an unnamed group: <model name>_<group number>.
        name: `${model.name}_0`,
        kind: GPU_PROVIDERS.has(model.providers[0] ?? 'cpu') ? 'KIND_GPU' : 'KIND_CPU',
        count: model.instances,
      },
    ],
  };
}
