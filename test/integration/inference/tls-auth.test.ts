/**
 * TLS, mutual TLS and bearer tokens on the inference server, over loopback with real grpc-js
 * clients and NVIDIA's Triton Python client; certificates are made per run with openssl.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import * as protobuf from 'protobufjs';
import { bearerInterceptor } from '../../../services/grpc/auth';
import { clientConstructor } from '../../../services/grpc/protos';
import { Secret } from '../../../services/grpc/secret';
import { channelCredentials, loadClientTls } from '../../../services/grpc/tls';
import { ConfigError, parseConfig } from '../../../services/inference/config';
import { loadPackageDefinition, SERVICE_NAMES } from '../../../services/inference/grpc/protos';
import type { InferenceServer } from '../../../services/inference/grpc/server';
import { writeTinyClassifier } from '../../fixtures/tiny-classifier';
import { makeTestPki, type TestPki } from '../../helpers/certs';
import { rejection, startServer, tempRepository } from './harness';

const READ_WRITE = 'rw-0f9e8d7c6b5a4f3e2d1c';
const READ_ONLY = 'ro-1a2b3c4d5e6f7a8b9c0d';
const MODEL = 'sst2';
const HEALTHCHECK = join(__dirname, '..', '..', '..', 'deploy', 'healthcheck.js');

// biome-ignore lint/suspicious/noExplicitAny: messages are plain objects shaped by the .proto
type AnyMessage = any;

interface ClientSettings {
  ca?: string;
  cert?: string;
  key?: string;
  token?: string;
}

/** One unary call on a fresh channel with the given TLS files and token. */
async function call(
  port: number,
  service: string,
  method: string,
  request: AnyMessage,
  settings: ClientSettings = {},
): Promise<AnyMessage> {
  const tls = loadClientTls({
    ...(settings.ca ? { ca: { label: 'ca', path: settings.ca } } : {}),
    ...(settings.cert ? { cert: { label: 'cert', path: settings.cert } } : {}),
    ...(settings.key ? { key: { label: 'key', path: settings.key } } : {}),
  });
  const Ctor = clientConstructor(loadPackageDefinition(), service);
  const client = new Ctor(`127.0.0.1:${port}`, channelCredentials(tls), {
    interceptors: settings.token ? [bearerInterceptor(new Secret(settings.token))] : [],
  }) as grpc.Client & Record<string, AnyMessage>;
  try {
    return await new Promise((resolve, reject) =>
      client[method](
        request,
        { deadline: Date.now() + 5000 },
        (err: grpc.ServiceError | null, reply: AnyMessage) => (err ? reject(err) : resolve(reply)),
      ),
    );
  } finally {
    client.close();
  }
}

const live = (port: number, settings: ClientSettings) =>
  call(port, SERVICE_NAMES.oip, 'ServerLive', {}, settings);

async function assertCode(promise: Promise<unknown>, code: grpc.status): Promise<grpc.ServiceError> {
  const err = await rejection(promise);
  assert.equal(err.code, code, `expected ${grpc.status[code]}, got ${grpc.status[err.code]}: ${err.details}`);
  return err;
}

describe('inference server: TLS and bearer tokens', { timeout: 120_000 }, () => {
  const repo = tempRepository();
  let pki: TestPki;
  let server: InferenceServer;
  let mtls: InferenceServer;
  const log: string[] = [];

  before(async () => {
    pki = makeTestPki();
    writeTinyClassifier(repo.dir, { name: MODEL, version: 1, seed: 3 });
    const tokenFile = join(pki.dir, 'read-write.token');
    writeFileSync(tokenFile, `${READ_WRITE}\n`);
    // Through parseConfig, as the command line and the environment set it.
    const config = parseConfig(
      [
        '--repository',
        repo.dir,
        '--tls-cert',
        pki.serverCert,
        '--tls-key',
        pki.serverKey,
        '--auth-token-file',
        tokenFile,
      ],
      { EFFICIENTBERT_INFERENCE_READ_ONLY_TOKEN: READ_ONLY },
    );
    assert.notEqual(config, 'help');
    if (config === 'help') return;
    server = await startServer(repo.dir, { metricsPort: null, security: config.security }, log);
    const mutual = parseConfig([
      '--repository',
      repo.dir,
      '--tls-cert',
      pki.serverCert,
      '--tls-key',
      pki.serverKey,
      '--tls-client-ca',
      pki.caCert,
    ]);
    if (mutual === 'help') return;
    mtls = await startServer(repo.dir, { metricsPort: null, security: mutual.security }, log);
  });

  after(async () => {
    await server?.shutdown();
    await mtls?.shutdown();
    pki?.remove();
    repo.remove();
  });

  it('completes the TLS handshake with the CA and fails without it', async () => {
    assert.deepEqual(await live(server.port, { ca: pki.caCert, token: READ_WRITE }), { live: true });
    await assertCode(live(server.port, { ca: pki.otherCaCert, token: READ_WRITE }), grpc.status.UNAVAILABLE);
    await assertCode(live(server.port, { token: READ_WRITE }), grpc.status.UNAVAILABLE);
  });

  it('with a client CA, refuses clients without a certificate and accepts one signed by it', async () => {
    await assertCode(live(mtls.port, { ca: pki.caCert }), grpc.status.UNAVAILABLE);
    assert.deepEqual(await live(mtls.port, { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey }), {
      live: true,
    });
  });

  it('answers a missing or wrong token with UNAUTHENTICATED', async () => {
    const missing = await assertCode(live(server.port, { ca: pki.caCert }), grpc.status.UNAUTHENTICATED);
    assert.match(missing.details, /missing bearer token/);
    await assertCode(
      live(server.port, { ca: pki.caCert, token: 'not-the-token' }),
      grpc.status.UNAUTHENTICATED,
    );
    await assertCode(
      call(server.port, SERVICE_NAMES.classify, 'ListModels', {}, { ca: pki.caCert }),
      grpc.status.UNAUTHENTICATED,
    );
  });

  it('checks the token on streams too (ModelStreamInfer)', async () => {
    const tls = loadClientTls({ ca: { label: 'ca', path: pki.caCert } });
    const raw = new grpc.Client(`127.0.0.1:${server.port}`, channelCredentials(tls));
    const code = await new Promise<grpc.status>((resolve) => {
      const stream = raw.makeBidiStreamRequest(
        `/${SERVICE_NAMES.oip}/ModelStreamInfer`,
        (b: Buffer) => b,
        (b: Buffer) => b,
      );
      stream.on('error', (err: grpc.ServiceError) => resolve(err.code));
      stream.on('data', () => resolve(grpc.status.OK));
      stream.write(Buffer.alloc(0));
    });
    raw.close();
    assert.equal(code, grpc.status.UNAUTHENTICATED);
  });

  it('lets the read-only token read and infer but not load or unload models', async () => {
    const ro = { ca: pki.caCert, token: READ_ONLY };
    const index = await call(server.port, SERVICE_NAMES.oip, 'RepositoryIndex', {}, ro);
    assert.deepEqual(
      index.models.map((m: AnyMessage) => m.name),
      [MODEL],
    );
    const listed = await call(server.port, SERVICE_NAMES.classify, 'ListModels', {}, ro);
    assert.equal(listed.models[0].name, MODEL);
    for (const method of ['RepositoryModelLoad', 'RepositoryModelUnload']) {
      const err = await assertCode(
        call(server.port, SERVICE_NAMES.oip, method, { model_name: MODEL }, ro),
        grpc.status.PERMISSION_DENIED,
      );
      assert.match(err.details, new RegExp(method));
    }
    // The read-write token may: loading the served model again is a no-op reload.
    await call(
      server.port,
      SERVICE_NAMES.oip,
      'RepositoryModelLoad',
      { model_name: MODEL },
      {
        ca: pki.caCert,
        token: READ_WRITE,
      },
    );
  });

  it('serves reflection without a token', async () => {
    const root = new protobuf.Root().loadSync(
      require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto'),
      { keepCase: true },
    );
    const request = root.lookupType('grpc.reflection.v1.ServerReflectionRequest');
    const response = root.lookupType('grpc.reflection.v1.ServerReflectionResponse');
    const tls = loadClientTls({ ca: { label: 'ca', path: pki.caCert } });
    const raw = new grpc.Client(`127.0.0.1:${server.port}`, channelCredentials(tls));
    const services = await new Promise<string[]>((resolve, reject) => {
      const stream = raw.makeBidiStreamRequest(
        '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
        (b: Buffer) => b,
        (b: Buffer) => b,
      );
      stream.on('data', (b: Buffer) => {
        const answer = response.toObject(response.decode(b)) as AnyMessage;
        resolve(answer.list_services_response.service.map((s: AnyMessage) => s.name));
        stream.cancel();
      });
      stream.on('error', (err: grpc.ServiceError) => err.code !== grpc.status.CANCELLED && reject(err));
      stream.write(Buffer.from(request.encode(request.fromObject({ list_services: '' })).finish()));
    });
    raw.close();
    assert.ok(services.includes(SERVICE_NAMES.oip), services.join());
  });

  it('serves health without a token', async () => {
    const reply = await call(server.port, SERVICE_NAMES.health, 'Check', { service: '' }, { ca: pki.caCert });
    assert.equal(reply.status, 'SERVING');
  });

  it('deploy/healthcheck.js probes over TLS with --ca (and a client certificate for mTLS)', async () => {
    // Asynchronously: the server answering the probe runs on this event loop.
    const probe = (port: number, ...args: string[]) =>
      promisify(execFile)(process.execPath, [HEALTHCHECK, '--address', `127.0.0.1:${port}`, ...args], {
        timeout: 30_000,
      }).then(
        () => 0,
        (err: { code?: number }) => err.code,
      );
    assert.equal(await probe(server.port, '--ca', pki.caCert), 0);
    assert.equal(await probe(server.port), 1);
    assert.equal(await probe(mtls.port, '--ca', pki.caCert), 1);
    assert.equal(
      await probe(mtls.port, '--ca', pki.caCert, '--cert', pki.clientCert, '--key', pki.clientKey),
      0,
    );
  });

  it('never logs the tokens', () => {
    const text = log.join('\n');
    assert.match(text, /TLS, bearer tokens/);
    assert.ok(!text.includes(READ_WRITE) && !text.includes(READ_ONLY), text);
  });

  it('works with the Triton Python client over TLS with the token in headers', async () => {
    const probe = spawnSync('python3', ['-c', 'import tritonclient.grpc'], { encoding: 'utf8' });
    assert.equal(probe.status, 0, `tritonclient is not installed: run \`npm run setup\`\n${probe.stderr}`);
    const { stdout } = await promisify(execFile)(
      'python3',
      [join(__dirname, 'triton_tls_check.py'), `127.0.0.1:${server.port}`, pki.caCert, READ_ONLY, MODEL],
      { timeout: 60_000 },
    );
    assert.deepEqual(JSON.parse(stdout), {
      live: true,
      model_ready: true,
      index: [MODEL],
      no_token: 'StatusCode.UNAUTHENTICATED',
      wrong_token: 'StatusCode.UNAUTHENTICATED',
    });
  });
});

describe('inference server: security configuration errors', () => {
  const parse =
    (argv: string[], env: NodeJS.ProcessEnv = {}) =>
    () =>
      parseConfig(['--repository', '/tmp/none', ...argv], env);

  it('names the flag and the path of a missing certificate', () => {
    assert.throws(
      parse(['--tls-cert', '/nonexistent/server.crt', '--tls-key', '/nonexistent/server.key']),
      (err: Error) =>
        err instanceof ConfigError &&
        /--tls-cert: cannot read \/nonexistent\/server\.crt \(ENOENT\)/.test(err.message),
    );
  });

  it('refuses half a key pair, a client CA without a certificate and a read-only token alone', () => {
    assert.throws(parse(['--tls-cert', '/x.crt']), /--tls-cert needs its pair/);
    assert.throws(parse(['--tls-client-ca', '/ca.crt']), /--tls-client-ca needs a server certificate/);
    assert.throws(
      parse([], { EFFICIENTBERT_INFERENCE_READ_ONLY_TOKEN: 'x' }),
      /read-only token needs a read-write token/,
    );
  });

  it('exits 2 with one line and no stack trace from the command line', () => {
    const main = join(__dirname, '..', '..', '..', 'services', 'inference', 'main.ts');
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        main,
        '--repository',
        '/tmp/none',
        '--tls-cert',
        '/nope.crt',
        '--tls-key',
        '/nope.key',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(run.status, 2);
    assert.match(run.stderr, /^inference: --tls-cert: cannot read \/nope\.crt/);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  });

  it('warns once when it binds beyond loopback without TLS or token', async () => {
    const repo = tempRepository();
    const log: string[] = [];
    const open = await startServer(repo.dir, { host: '0.0.0.0', metricsPort: null }, log);
    await open.shutdown();
    repo.remove();
    assert.equal(log.filter((l) => l.includes('warning')).length, 1);
    assert.match(log.join('\n'), /without TLS and without a bearer token/);
  });
});
