/**
 * Shared set-up for the inference integration tests: a temporary model repository with the tiny
 * classifier fixture, a real server on 127.0.0.1 (port 0), and real grpc-js clients.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { clientConstructor } from '../../../services/grpc/protos';
import { defaultConfig, type InferenceServerConfig } from '../../../services/inference/config';
import { loadPackageDefinition, SERVICE_NAMES } from '../../../services/inference/grpc/protos';
import { InferenceServer } from '../../../services/inference/grpc/server';

export function tempRepository(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'eb-inference-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Test defaults: loopback, free ports, one small session per model. */
export function testConfig(
  repository: string,
  overrides: Partial<InferenceServerConfig> = {},
): InferenceServerConfig {
  const config = defaultConfig(repository);
  return {
    ...config,
    host: '127.0.0.1',
    port: 0,
    metricsPort: 0,
    instances: 1,
    intraOpThreads: 1,
    ...overrides,
    batching: { ...config.batching, ...overrides.batching },
  };
}

export async function startServer(
  repository: string,
  overrides: Partial<InferenceServerConfig> = {},
  log: string[] = [],
) {
  return InferenceServer.start(testConfig(repository, overrides), (m) => log.push(m));
}

type Callback<T> = (err: grpc.ServiceError | null, value: T) => void;
// biome-ignore lint/suspicious/noExplicitAny: messages are plain objects shaped by the .proto
type AnyMessage = any;

/** A client whose unary methods return promises: `await client.call('Classify', request)`. */
export class TestClient {
  readonly raw: grpc.Client & Record<string, AnyMessage>;

  constructor(serviceName: string, port: number, options: grpc.ClientOptions = {}) {
    const Ctor = clientConstructor(loadPackageDefinition(), serviceName);
    this.raw = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options) as TestClient['raw'];
  }

  call(method: string, request: AnyMessage, options: grpc.CallOptions = {}): Promise<AnyMessage> {
    return new Promise((resolve, reject) => {
      (
        this.raw[method] as (
          r: AnyMessage,
          m: grpc.Metadata,
          o: grpc.CallOptions,
          cb: Callback<AnyMessage>,
        ) => void
      ).call(this.raw, request, new grpc.Metadata(), options, (err, value) =>
        err ? reject(err) : resolve(value),
      );
    });
  }

  close(): void {
    this.raw.close();
  }
}

export const clients = (port: number) => ({
  oip: new TestClient(SERVICE_NAMES.oip, port),
  classify: new TestClient(SERVICE_NAMES.classify, port),
  health: new TestClient(SERVICE_NAMES.health, port),
});

/** The error a promise rejects with (fails when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (err) {
    return err as grpc.ServiceError;
  }
  throw new Error('expected the call to fail');
}

export const sleep = promisify(setTimeout);

/** The Prometheus text the server's metrics endpoint serves. */
export function fetchMetrics(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

export function assertClose(actual: readonly number[], expected: readonly number[], tolerance = 1e-4): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => {
    assert.ok(Math.abs(a - expected[i]!) < tolerance, `element ${i}: ${a} vs ${expected[i]}`);
  });
}

/** Raw little-endian bytes of int64 values, as OIP clients send them. */
export function int64Bytes(values: readonly number[]): Buffer {
  return Buffer.from(BigInt64Array.from(values.map(BigInt)).buffer);
}

export function float32s(bytes: Buffer): number[] {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return [...new Float32Array(copy.buffer)];
}
