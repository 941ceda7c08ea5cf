/**
 * deploy/healthcheck.js (the images' Docker HEALTHCHECK) against a real grpc.health.v1 server
 * built from grpc-health-check's health.proto (the one the services serve), run as the images run it: `node deploy/healthcheck.js`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  HEALTH_PROTO,
  HEALTH_SERVICE,
  loadPackageDefinition,
  serviceDefinition,
} from '../../services/grpc/protos';
import { ROOT } from './deploy-files';

const { decodeResponse, encodeRequest } = require('../../deploy/healthcheck.js') as {
  encodeRequest(service: string): Buffer;
  decodeResponse(bytes: Buffer): number;
};

const statuses = new Map<string, string>([
  ['', 'SERVING'],
  ['inference.GRPCInferenceService', 'SERVING'],
  ['draining', 'NOT_SERVING'],
]);
let server: grpc.Server;
let port = 0;

before(async () => {
  const definition = loadPackageDefinition([HEALTH_PROTO]);
  server = new grpc.Server();
  server.addService(serviceDefinition(definition, HEALTH_SERVICE), {
    Check: (
      call: grpc.ServerUnaryCall<{ service: string }, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      const status = statuses.get(call.request.service ?? '');
      if (!status) callback({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
      else callback(null, { status });
    },
  });
  port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
});

after(() => server.forceShutdown());

function probe(...args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['deploy/healthcheck.js', ...args], {
      cwd: ROOT,
      env: { ...process.env, HEALTHCHECK_ADDRESS: '' },
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ code, output }));
  });
}

test('protobuf encoding of the two messages', () => {
  assert.deepEqual(encodeRequest(''), Buffer.alloc(0));
  assert.deepEqual(encodeRequest('ab'), Buffer.from([0x0a, 2, 0x61, 0x62]));
  assert.equal(encodeRequest('x'.repeat(200)).subarray(0, 3).toString('hex'), '0ac801');
  assert.equal(decodeResponse(Buffer.from([0x08, 0x01])), 1);
  assert.equal(decodeResponse(Buffer.alloc(0)), 0);
  assert.equal(decodeResponse(Buffer.from([0x12, 0x01, 0x00, 0x08, 0x02])), 2, 'unknown fields are skipped');
});

test('SERVING server and service: exit 0', async () => {
  const whole = await probe('--address', `127.0.0.1:${port}`);
  assert.equal(whole.code, 0, whole.output);
  const r = await probe('--address', `127.0.0.1:${port}`, '--service', 'inference.GRPCInferenceService');
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /SERVING/);
});

test('NOT_SERVING: exit 1, unless --any-status (liveness)', async () => {
  const r = await probe('--address', `127.0.0.1:${port}`, '--service', 'draining');
  assert.equal(r.code, 1);
  assert.match(r.output, /NOT_SERVING/);
  assert.equal(
    (await probe('--address', `127.0.0.1:${port}`, '--service', 'draining', '--any-status')).code,
    0,
  );
});

test('unknown service or nothing listening: exit 1, within the timeout', async () => {
  assert.equal((await probe('--address', `127.0.0.1:${port}`, '--service', 'nope')).code, 1);
  const closed = new grpc.Server();
  const freePort = await new Promise<number>((resolve, reject) =>
    closed.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  closed.forceShutdown();
  const started = Date.now();
  const r = await probe('--address', `127.0.0.1:${freePort}`, '--timeout-ms', '1500');
  assert.equal(r.code, 1);
  assert.match(r.output, /unreachable/);
  assert.ok(Date.now() - started < 10_000);
});

test('bad usage: exit 2', async () => {
  assert.equal((await probe('--bogus')).code, 2);
  assert.equal((await probe('--timeout-ms', '0')).code, 2);
});

/** Starts a real server entry point the way the images do and waits for its port. */
function startEntry(entry: string, args: string[], env: NodeJS.ProcessEnv, portPattern: RegExp) {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listening = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} did not start: ${output}`)), 30_000);
    const onData = (d: Buffer) => {
      output += d;
      const m = portPattern.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${entry} exited ${code}: ${output}`)));
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.on('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });
  return { listening, stop };
}

test('the real inference server answers the probes the image and Kubernetes use', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const repository = mkdtempSync(path.join(tmpdir(), 'eb-models-'));
  const server = startEntry(
    'services/inference/main.ts',
    ['--repository', repository],
    {
      EFFICIENTBERT_INFERENCE_HOST: '127.0.0.1',
      EFFICIENTBERT_INFERENCE_PORT: '0',
      EFFICIENTBERT_INFERENCE_METRICS_PORT: 'off',
    },
    /"port":(\d+)/,
  );
  try {
    const port = await server.listening;
    for (const service of ['', 'inference.GRPCInferenceService']) {
      const r = await probe('--address', `127.0.0.1:${port}`, '--service', service);
      assert.equal(r.code, 0, r.output);
    }
  } finally {
    await server.stop();
    rmSync(repository, { recursive: true, force: true });
  }
});

test('the real search gateway: NOT_SERVING without Temporal (readiness fails), alive for --any-status', async () => {
  const unused = new grpc.Server();
  const deadPort = await new Promise<number>((resolve, reject) =>
    unused.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  unused.forceShutdown();
  const server = startEntry(
    'services/search/main.ts',
    [],
    { SEARCH_HOST: '127.0.0.1', SEARCH_PORT: '0', TEMPORAL_ADDRESS: `127.0.0.1:${deadPort}` },
    /listening on port (\d+)/,
  );
  try {
    const port = await server.listening;
    const ready = await probe(
      '--address',
      `127.0.0.1:${port}`,
      '--service',
      'efficientbert.v1.Search',
      '--timeout-ms',
      '8000',
    );
    assert.equal(ready.code, 1, ready.output);
    assert.match(ready.output, /NOT_SERVING/);
    const alive = await probe('--address', `127.0.0.1:${port}`, '--any-status', '--timeout-ms', '8000');
    assert.equal(alive.code, 0, alive.output);
  } finally {
    await server.stop();
  }
});
