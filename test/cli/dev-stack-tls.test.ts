/**
 * `dev up` with TLS and tokens: the services it starts serve TLS and enforce the tokens, its health
 * probes and the CLI's clients use the CA and the token, and the token appears in no log, process
 * record or argv of the stack.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { clientConstructor } from '../../services/grpc/protos';
import { channelCredentials, loadClientTls } from '../../services/grpc/tls';
import { loadPackageDefinition, SERVICE_NAMES } from '../../services/inference/grpc/protos';
import { makeTestPki, type TestPki } from '../helpers/certs';
import { isolatedStackEnv, runCli } from './cli-process';

const TOKEN = 'dev-stack-rw-5d4c3b2a19f8e7d6';

/** Every file under `dir`, as text. */
function allText(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.endsWith('.db') && !e.name.includes('sqlite'))
    .map((e) => readFileSync(path.join(e.parentPath, e.name), 'utf8'))
    .join('\n');
}

describe('efficientbert dev up with TLS and a token', { timeout: 600_000 }, () => {
  let stateDir: string;
  let pki: TestPki;
  let env: Record<string, string>;
  let pids: number[] = [];

  before(async () => {
    stateDir = await fs.mkdtemp(path.join(tmpdir(), 'eb-cli-tls-'));
    pki = makeTestPki();
    const tokenFile = path.join(pki.dir, 'token');
    writeFileSync(tokenFile, TOKEN);
    env = {
      ...(await isolatedStackEnv(stateDir)),
      EFFICIENTBERT_TRAINER: 'fake',
      EFFICIENTBERT_TLS_CERT: pki.serverCert,
      EFFICIENTBERT_TLS_KEY: pki.serverKey,
      EFFICIENTBERT_TLS_CA: pki.caCert,
      EFFICIENTBERT_TOKEN_FILE: tokenFile,
    };
  });

  after(async () => {
    await runCli(['dev', 'down'], { env });
    await fs.rm(stateDir, { recursive: true, force: true });
    pki?.remove();
  });

  it('starts the stack healthy over TLS and the CLI calls both services', async () => {
    const up = await runCli(['dev', 'up', '--json'], { env, timeoutMs: 300_000 });
    assert.equal(up.code, 0, up.stderr);
    const components = JSON.parse(up.stdout).components as { name: string; healthy: boolean; pid?: number }[];
    assert.ok(
      components.every((c) => c.healthy),
      up.stdout,
    );
    pids = components.flatMap((c) => (c.pid ? [c.pid] : []));
    const search = await runCli(['search', 'list'], { env });
    assert.equal(search.code, 0, search.stderr);
    const models = await runCli(['models', 'list'], { env });
    assert.equal(models.code, 0, models.stderr);
  });

  it('the services refuse a client without the token', async () => {
    const Ctor = clientConstructor(loadPackageDefinition(), SERVICE_NAMES.classify);
    const tls = loadClientTls({ ca: { label: 'ca', path: pki.caCert } });
    const client = new Ctor(env.EFFICIENTBERT_INFERENCE_ADDRESS!, channelCredentials(tls));
    const err = await new Promise<grpc.ServiceError | null>((resolve) =>
      (client as unknown as Record<string, (...a: unknown[]) => void>).ListModels!(
        {},
        { deadline: Date.now() + 5000 },
        (e: grpc.ServiceError | null) => resolve(e),
      ),
    );
    client.close();
    assert.equal(err?.code, grpc.status.UNAUTHENTICATED);
    const without = await runCli(['models', 'list'], { env: { ...env, EFFICIENTBERT_TOKEN_FILE: '' } });
    assert.equal(without.code, 1);
    assert.match(without.stderr, /--token-file/);
  });

  it('leaves the token out of logs, process records and command lines', () => {
    const text = allText(stateDir);
    // Not vacuous: the services' logs are there, saying how they serve.
    assert.match(text, /serving gRPC on \S+ \(TLS, bearer tokens/);
    assert.match(text, /listening on port \d+ \(TLS, bearer tokens \(read-write\)\)/);
    assert.ok(!text.includes(TOKEN), 'state folder');
    for (const pid of pids) {
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      assert.ok(!cmdline.includes(TOKEN), `argv of ${pid}`);
    }
  });
});
