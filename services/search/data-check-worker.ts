/**
 * Worker thread entry: parses one uploaded dataset exactly as the trainer will (readUserTask) and
 * posts its label order, or the file, line and column at fault.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DataFileError } from '../../efficientbert/data/delimited';
import { readUserTask } from '../../efficientbert/data/user-data';
import type { DataCheckReply, DataCheckRequest } from './data-check-thread';

function check({ data, train, dev }: DataCheckRequest): DataCheckReply {
  const text = (bytes: Uint8Array) =>
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  try {
    return { kind: 'ok', labels: readUserTask(data, text(train), text(dev)).labels };
  } catch (err) {
    if (err instanceof DataFileError)
      return { kind: 'invalid', file: err.file, line: err.line, problem: err.problem, column: err.column };
    return { kind: 'failed', message: err instanceof Error ? err.message : String(err) };
  }
}

parentPort!.postMessage(check(workerData as DataCheckRequest));
