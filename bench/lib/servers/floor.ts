/**
 * The transport floor's server (floor-server.ts beside this file) as a child process, with a
 * bytes-in, bytes-out grpc-js client.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { unaryBytes } from './inference';
import { spawnListening, stopChild } from './process';

const FLOOR_SERVER = join(__dirname, 'floor-server.ts');
const ROOT = join(__dirname, '..', '..', '..');

export interface FloorServer {
  child: ChildProcess;
  port: number;
  call(request: Buffer): Promise<Buffer>;
  stop(): Promise<void>;
}

/** Serves `method` (a /package.Service/Method path) by running `model` on fixed token ids of length `seq`. */
export async function startFloorServer(
  model: string,
  options: { method: string; seq: number; threads: number },
): Promise<FloorServer> {
  const { child, port } = await spawnListening('floor', FLOOR_SERVER, ROOT, [
    '--model',
    model,
    '--path',
    options.method,
    '--seq',
    String(options.seq),
    '--threads',
    String(options.threads),
  ]);
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    child,
    port,
    call: (request) => unaryBytes(client, options.method, request),
    stop: async () => {
      client.close();
      await stopChild(child);
    },
  };
}
