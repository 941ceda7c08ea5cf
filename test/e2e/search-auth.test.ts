/**
 * TLS and bearer tokens on the Search gateway over a real Temporal dev server (no worker: the
 * searches only need to start), driven by grpc-js clients and by the CLI. Also checks that the
 * tokens reach no log, workflow input, search attribute or reply.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { Client, Connection } from '@temporalio/client';
import { bearerInterceptor } from '../../services/grpc/auth';
import { clientConstructor, HEALTH_SERVICE } from '../../services/grpc/protos';
import { Secret } from '../../services/grpc/secret';
import { environmentLookup, readServerSecurity } from '../../services/grpc/security-config';
import { channelCredentials, loadClientTls } from '../../services/grpc/tls';
import { loadSearchProtos, SEARCH_SERVICE } from '../../services/search/protos';
import { type RunningSearchServer, startSearchServer } from '../../services/search/server';
import { runCli } from '../cli/cli-process';
import { makeTestPki, type TestPki } from '../helpers/certs';
import { grpcPbSpec, type Reply } from '../helpers/temporal-grpc';
import { FAST_TRAINING } from '../helpers/temporal-search';
import { freePort, TestTemporalServer } from '../helpers/temporal-server';

const READ_WRITE = 'search-rw-7c1d9a3e5b2f4c6d';
const READ_ONLY = 'search-ro-2e8f6a4c1b3d5e7f';
const MAIN = path.join(__dirname, '..', '..', 'services', 'search', 'main.ts');

function leaks(text: string): boolean {
  return text.includes(READ_WRITE) || text.includes(READ_ONLY);
}

describe('efficientbert.v1.Search: TLS and bearer tokens', { timeout: 300_000 }, () => {
  let temporal: TestTemporalServer;
  let pki: TestPki;
  let api: RunningSearchServer;
  let address: string;
  let tokenFile: string;
  let readOnlyFile: string;
  const log: string[] = [];

  function call(method: string, request: Reply, token?: string, ca = pki.caCert): Promise<Reply> {
    const Ctor = clientConstructor(loadSearchProtos(), SEARCH_SERVICE);
    const client = new Ctor(address, channelCredentials(loadClientTls({ ca: { label: 'ca', path: ca } })), {
      interceptors: token ? [bearerInterceptor(new Secret(token))] : [],
    }) as unknown as Record<string, (...args: unknown[]) => void> & grpc.Client;
    return new Promise<Reply>((resolve, reject) =>
      client[method]!(
        request,
        { deadline: Date.now() + 20_000 },
        (err: grpc.ServiceError | null, r: Reply) => (err ? reject(err) : resolve(r)),
      ),
    ).finally(() => client.close());
  }

  async function code(promise: Promise<unknown>): Promise<string> {
    try {
      await promise;
      return 'OK';
    } catch (err) {
      return grpc.status[(err as grpc.ServiceError).code];
    }
  }

  before(async () => {
    pki = makeTestPki();
    tokenFile = path.join(pki.dir, 'rw.token');
    readOnlyFile = path.join(pki.dir, 'ro.token');
    writeFileSync(tokenFile, READ_WRITE);
    writeFileSync(readOnlyFile, READ_ONLY);
    temporal = await TestTemporalServer.start();
    const security = readServerSecurity(
      environmentLookup('SEARCH_', {
        SEARCH_TLS_CERT: pki.serverCert,
        SEARCH_TLS_KEY: pki.serverKey,
        SEARCH_AUTH_TOKEN: READ_WRITE,
        SEARCH_READ_ONLY_TOKEN_FILE: readOnlyFile,
      }),
    );
    api = await startSearchServer({
      temporalAddress: temporal.address,
      training: FAST_TRAINING,
      security,
      log: (m) => log.push(m),
    });
    address = `127.0.0.1:${api.port}`;
  });

  after(async () => {
    await api?.close();
    await temporal?.stop();
    pki?.remove();
  });

  it('needs the CA for the handshake and a valid token for the calls', async () => {
    assert.equal(await code(call('ListSearches', {}, READ_WRITE)), 'OK');
    assert.equal(await code(call('ListSearches', {}, READ_WRITE, pki.otherCaCert)), 'UNAVAILABLE');
    assert.equal(await code(call('ListSearches', {})), 'UNAUTHENTICATED');
    assert.equal(await code(call('ListSearches', {}, 'wrong')), 'UNAUTHENTICATED');
  });

  it('serves health without a token', async () => {
    const Health = clientConstructor(loadSearchProtos(), HEALTH_SERVICE);
    const client = new Health(
      address,
      channelCredentials(loadClientTls({ ca: { label: 'ca', path: pki.caCert } })),
    );
    const err = await new Promise<grpc.ServiceError | null>((resolve) =>
      (client as unknown as Record<string, (...a: unknown[]) => void>).Check!(
        { service: '' },
        { deadline: Date.now() + 5000 },
        (e: grpc.ServiceError | null) => resolve(e),
      ),
    );
    client.close();
    assert.equal(err, null);
  });

  it('lets the read-only token read but not start or change searches', async () => {
    const started = await call('StartSearch', { request_id: 'auth-1', spec: grpcPbSpec() }, READ_WRITE);
    const id = started.search_id as string;
    assert.equal(await code(call('GetSearch', { search_id: id }, READ_ONLY)), 'OK');
    assert.equal(await code(call('ListSearches', {}, READ_ONLY)), 'OK');
    assert.equal(
      await code(call('StartSearch', { request_id: 'auth-2', spec: grpcPbSpec() }, READ_ONLY)),
      'PERMISSION_DENIED',
    );
    for (const method of ['PauseSearch', 'ResumeSearch', 'CancelSearch'])
      assert.equal(await code(call(method, { search_id: id }, READ_ONLY)), 'PERMISSION_DENIED', method);
    assert.equal(
      await code(call('SetParallelism', { search_id: id, parallelism: 1 }, READ_ONLY)),
      'PERMISSION_DENIED',
    );
  });

  it('keeps the tokens out of the workflow input, search attributes, replies and logs', async () => {
    const { search_id: id } = await call(
      'StartSearch',
      { request_id: 'auth-1', spec: grpcPbSpec() },
      READ_WRITE,
    );
    const connection = await Connection.connect({ address: temporal.address });
    try {
      const handle = new Client({ connection }).workflow.getHandle(id as string);
      const history = await handle.fetchHistory();
      const description = await handle.describe();
      assert.ok(!leaks(JSON.stringify(history)), 'workflow history');
      assert.ok(!leaks(JSON.stringify(description.raw)), 'search attributes / memo');
    } finally {
      await connection.close();
    }
    const info = await call('GetSearch', { search_id: id }, READ_WRITE);
    assert.ok(!leaks(JSON.stringify(info)), 'GetSearch reply');
    assert.ok(!leaks(log.join('\n')), log.join('\n'));
  });

  it('the CLI connects with --tls-ca and a token file, and says what to set without one', async () => {
    const env = { EFFICIENTBERT_SEARCH_ADDRESS: address, EFFICIENTBERT_TLS_CA: pki.caCert };
    const ok = await runCli(['search', 'list', '--json'], {
      env: { ...env, EFFICIENTBERT_TOKEN_FILE: tokenFile },
    });
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(!leaks(ok.stdout + ok.stderr));
    const none = await runCli(['search', 'list'], { env });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /UNAUTHENTICATED|refused the call.*--token-file/);
    const readOnly = await runCli(['search', 'cancel', 'search-x'], {
      env: { ...env, EFFICIENTBERT_TOKEN: READ_ONLY },
    });
    assert.equal(readOnly.code, 1);
    assert.match(readOnly.stderr, /read-only token may not call/);
    assert.ok(!leaks(readOnly.stdout + readOnly.stderr));
  });

  it('main.ts logs its mode but no token, and a bad file is one line naming the variable', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: {
        ...process.env,
        SEARCH_PORT: String(port),
        SEARCH_HOST: '0.0.0.0',
        TEMPORAL_ADDRESS: temporal.address,
        SEARCH_TLS_CERT: pki.serverCert,
        SEARCH_TLS_KEY: pki.serverKey,
        SEARCH_AUTH_TOKEN_FILE: tokenFile,
        SEARCH_READ_ONLY_TOKEN: READ_ONLY,
      },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const deadline = Date.now() + 60_000;
    while (!output.includes('listening') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    await exited;
    assert.match(output, /listening on port \d+ \(TLS, bearer tokens \(read-write, read-only\)\)/);
    assert.doesNotMatch(output, /warning/, 'TLS and a token on 0.0.0.0: nothing to warn about');
    assert.ok(!leaks(output), output);

    const bad = spawnSync(process.execPath, ['--import', 'tsx', MAIN], {
      env: { ...process.env, SEARCH_TLS_CERT: '/missing/cert.pem', SEARCH_TLS_KEY: pki.serverKey },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr.trim(), '[search] SEARCH_TLS_CERT: cannot read /missing/cert.pem (ENOENT)');
  });
});
