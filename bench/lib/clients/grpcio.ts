/**
 * A grpcio client process (grpcio_client.py beside this file: gRPC C-core, the transport of
 * Triton's Python client) sending one fixed request per `call`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const GRPCIO_CLIENT = join(__dirname, 'grpcio_client.py');

export interface GrpcioClient {
  /** Resolves with the latency (ms) the client measured around the call itself. */
  call(): Promise<number>;
  close(): void;
}

/** Whether python3 can import grpc (pip install grpcio; tritonclient[grpc] brings it). */
export function grpcioAvailable(): boolean {
  return spawnSync('python3', [GRPCIO_CLIENT, '--check']).status === 0;
}

/** Sends the bytes of `requestFile` to `method` (a /package.Service/Method path) on each call. */
export function startGrpcioClient(target: string, method: string, requestFile: string): GrpcioClient {
  const child = spawn('python3', [GRPCIO_CLIENT, target, method, requestFile], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waiting: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => waiting.shift()?.(line));
  return {
    call: () =>
      new Promise((resolveCall) => {
        waiting.push((line) => resolveCall(Number(line.split(' ')[0]) / 1e6));
        child.stdin!.write('\n');
      }),
    close: () => child.stdin!.end(),
  };
}
