/**
 * Worker thread entry: owns one ONNX Runtime session. `session.run` blocks its JS thread for the
 * whole inference in onnxruntime-node 1.30, so each session lives on its own thread and the
 * server's event loop stays free.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createSessionWithFallback } from './session-factory';
import { describeSession, runSession } from './session-io';
import type { RunMessage, WorkerInit, WorkerReply } from './worker-protocol';

const port = parentPort!;
const send = (reply: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);

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
      const outputs = await runSession(session, feeds);
      send(
        { kind: 'result', id, outputs },
        Object.values(outputs).map((t) => t.data.buffer as ArrayBuffer),
      );
    } catch (err) {
      send({ kind: 'error', id, message: err instanceof Error ? err.message : String(err) });
    }
  });
  send({
    kind: 'ready',
    providers: created.providers,
    ...(created.fallbackReason ? { fallbackReason: created.fallbackReason } : {}),
    ...describeSession(session),
  });
}

void main(workerData as WorkerInit);
