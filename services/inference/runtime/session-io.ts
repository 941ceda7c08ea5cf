/**
 * One ONNX Runtime session's inputs and outputs as plain, transferable data (worker-protocol.ts),
 * the same whether the session lives on a worker thread or on the server's main thread.
 */
import * as ort from 'onnxruntime-node';
import type { Feeds, TensorData, TensorInfo } from './worker-protocol';

function describe(metadata: readonly ort.InferenceSession.ValueMetadata[]): TensorInfo[] {
  return metadata.map((m) => ({
    name: m.name,
    type: m.isTensor ? m.type : 'unknown',
    shape: m.isTensor ? m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) : [],
  }));
}

export function describeSession(session: ort.InferenceSession): {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
} {
  return { inputs: describe(session.inputMetadata), outputs: describe(session.outputMetadata) };
}

/** Runs the session on `feeds`; the outputs' buffers are the session's own (free to transfer). */
export async function runSession(session: ort.InferenceSession, feeds: Feeds): Promise<Feeds> {
  const inputs: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    inputs[name] = new ort.Tensor(t.type as 'int64', t.data as BigInt64Array, t.dims);
  }
  const results = await session.run(inputs);
  const outputs: Feeds = {};
  for (const [name, tensor] of Object.entries(results)) {
    outputs[name] = { type: tensor.type, dims: [...tensor.dims], data: tensor.data as TensorData['data'] };
  }
  return outputs;
}
