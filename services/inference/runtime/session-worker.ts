/**
 * Worker thread entry: owns one ONNX Runtime session. `session.run` blocks its JS thread for the
 * whole inference in onnxruntime-node 1.30, so each session lives on its own thread and the
 * server's event loop stays free.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { createSessionWithFallback } from './session-factory';
import type { Feeds, RunMessage, TensorData, TensorInfo, WorkerInit, WorkerReply } from './worker-protocol';

const port = parentPort!;
const send = (reply: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);

function describe(metadata: readonly ort.InferenceSession.ValueMetadata[]): TensorInfo[] {
  return metadata.map((m) => ({
    name: m.name,
    type: m.isTensor ? m.type : 'unknown',
    shape: m.isTensor ? m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) : [],
  }));
}

async function main(init: WorkerInit): Promise<void> {
  let created: Awaited<ReturnType<typeof createSessionWithFallback>>;
  try {
    created = await createSessionWithFallback(init.modelPath, init);
  } catch (err) {
    send({ kind: 'failed', message: err instanceof Error ? err.message : String(err) });
    return;
  }
  const { session } = created;
  port.on('message', async ({ id, feeds }: RunMessage) => {
    try {
      const inputs: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) {
        inputs[name] = new ort.Tensor(t.type as 'int64', t.data as BigInt64Array, t.dims);
      }
      const results = await session.run(inputs);
      const outputs: Feeds = {};
      const transfer: ArrayBuffer[] = [];
      for (const [name, tensor] of Object.entries(results)) {
        const data = tensor.data as TensorData['data'];
        outputs[name] = { type: tensor.type, dims: [...tensor.dims], data };
        transfer.push(data.buffer as ArrayBuffer);
      }
      send({ kind: 'result', id, outputs }, transfer);
    } catch (err) {
      send({ kind: 'error', id, message: err instanceof Error ? err.message : String(err) });
    }
  });
  send({
    kind: 'ready',
    providers: created.providers,
    ...(created.fallbackReason ? { fallbackReason: created.fallbackReason } : {}),
    inputs: describe(session.inputMetadata),
    outputs: describe(session.outputMetadata),
  });
}

void main(workerData as WorkerInit);
