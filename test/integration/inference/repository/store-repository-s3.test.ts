/**
 * Store mode against a real S3 server (MinIO), the way a deployment runs it: the server process
 * started with `--repository store` and EFFICIENTBERT_ARTIFACTS=s3://..., no shared models folder.
 * Also: a store unreachable at start or later is logged, and the process neither exits nor stops
 * serving what it has.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { openArtifactStore, STORE_MODEL_REPOSITORY } from '../../../../efficientbert/artifacts';
import { WordPieceTokenizer } from '../../../../efficientbert/data/tokenizer';
import { softmax } from '../../../../services/inference/runtime/text-encoding';
import { createActivities } from '../../../../workflows/activities';
import { BERT_TOKENIZER_DIR, writeTinyClassifier } from '../../../fixtures/tiny-classifier';
import { TestMinio } from '../../../helpers/minio';
import { freePort } from '../../../helpers/temporal-server';
import { clients, sleep, tempRepository } from '../harness';

const MAIN = join(__dirname, '..', '..', '..', '..', 'services', 'inference', 'main.ts');
const TEXT = 'a quietly moving story';

interface ServerProcess {
  child: ChildProcess;
  port: number;
  stderr: () => string;
}

/** The server as a deployment starts it, with `env` on top of this process's environment. */
async function startServerProcess(cache: string, env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      MAIN,
      '--repository',
      'store',
      '--model-cache',
      cache,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--metrics-port',
      'off',
      '--instances',
      '1',
      '--poll-interval-ms',
      '200',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const event = JSON.parse(line);
      if (event.event === 'listening') resolve(event.port);
    });
    child.on('exit', () => reject(new Error(`server exited early: ${stderr}`)));
  });
  return { child, port, stderr: () => stderr };
}

async function until(condition: () => boolean, what: string, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('model repository in an S3 artifact store (MinIO)', () => {
  const root = tempRepository();
  const running: ServerProcess[] = [];
  let minio: TestMinio;
  let location: string;

  before(async () => {
    minio = await TestMinio.start();
    location = `s3://${await minio.createBucket()}/artifacts`;
  });

  after(async () => {
    for (const server of running) if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await minio?.stop();
    root.remove();
  });

  it('serves what a worker published, and keeps serving it when the store goes away', async () => {
    const store = openArtifactStore(location, minio.env);
    const exported = join(root.dir, 'export');
    const fixture = writeTinyClassifier(exported, { name: 'sst2', version: 1, seed: 11 });
    const { publishModels } = createActivities({
      store,
      trainer: 'fake',
      modelRepository: STORE_MODEL_REPOSITORY,
    });
    await publishModels({ searchId: 's3-search', modelRef: await store.putDir(exported) });

    const server = await startServerProcess(join(root.dir, 'cache'), {
      ...minio.env,
      EFFICIENTBERT_ARTIFACTS: location,
    });
    running.push(server);
    const c = clients(server.port);
    try {
      const classify = async () =>
        (await c.classify.call('Classify', { model_name: 'sst2', inputs: [{ text: TEXT }] })).results[0]
          .probabilities[1].probability as number;
      const e = WordPieceTokenizer.fromDirectory(BERT_TOKENIZER_DIR).encode(TEXT, undefined, 32);
      const expected = softmax(fixture.reference(e.inputIds, e.tokenTypeIds, e.attentionMask))[1]!;
      assert.ok(Math.abs((await classify()) - expected) < 1e-5);

      await minio.stop();
      await until(() => server.stderr().includes('cannot read published models'), 'the outage to be logged');
      assert.ok(Math.abs((await classify()) - expected) < 1e-5);
      assert.equal(server.child.exitCode, null);
    } finally {
      for (const client of Object.values(c)) client.close();
    }
  });

  it('starts and answers health with the store unreachable from the start', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const server = await startServerProcess(join(root.dir, 'cache-unreachable'), {
      ...minio.env,
      AWS_ENDPOINT_URL: closed,
      EFFICIENTBERT_ARTIFACTS: location,
    });
    running.push(server);
    const c = clients(server.port);
    try {
      assert.deepEqual(await c.health.call('Check', { service: '' }), { status: 'SERVING' });
      assert.match(server.stderr(), /cannot read published models/);
      // Still retrying on each poll, still alive.
      const outages = () => server.stderr().split('cannot read published models').length - 1;
      const seen = outages();
      await until(() => outages() > seen, 'a retry');
      assert.equal(server.child.exitCode, null);
    } finally {
      for (const client of Object.values(c)) client.close();
    }
  });
});
