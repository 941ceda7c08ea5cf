/**
 * The inference server in store mode (`--repository store`): models the worker's publishModels
 * activity recorded in a directory artifact store are pulled into the server's cache folder and
 * served by the ordinary model manager.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  DirArtifactStore,
  MODEL_REGISTRY_LOG,
  STORE_MODEL_REPOSITORY,
  withdrawModelVersion,
} from '../../../../efficientbert/artifacts';
import { WordPieceTokenizer } from '../../../../efficientbert/data/tokenizer';
import type { InferenceServer } from '../../../../services/inference/grpc/server';
import { softmax } from '../../../../services/inference/runtime/text-encoding';
import { createActivities } from '../../../../workflows/activities';
import {
  BERT_TOKENIZER_DIR,
  type TinyClassifier,
  writeTinyClassifier,
} from '../../../fixtures/tiny-classifier';
import { clients, rejection, sleep, startServer, tempRepository } from '../harness';

const TEXT = 'a quietly moving story';
const tokenizer = WordPieceTokenizer.fromDirectory(BERT_TOKENIZER_DIR);

function expectedPositive(fixture: TinyClassifier): number {
  const e = tokenizer.encode(TEXT, undefined, fixture.config.maxSeqLength);
  return softmax(fixture.reference(e.inputIds, e.tokenTypeIds, e.attentionMask))[1]!;
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('model repository in the artifact store', () => {
  const root = tempRepository();
  const storeDir = join(root.dir, 'store');
  const cache = join(root.dir, 'cache');
  const store = new DirArtifactStore(storeDir);
  const { publishModels } = createActivities({
    store,
    trainer: 'fake',
    modelRepository: STORE_MODEL_REPOSITORY,
  });
  const log: string[] = [];
  let server: InferenceServer;
  let c: ReturnType<typeof clients>;
  const fixtures: Record<string, TinyClassifier> = {};

  /** What the final training hands publishModels: a directory artifact `<name>/<version>/...`. */
  async function exported(searchId: string, models: { name: string; version: number; seed: number }[]) {
    const dir = join(root.dir, 'exports', searchId);
    for (const m of models) fixtures[`${m.name}/${m.version}`] = writeTinyClassifier(dir, m);
    return { searchId, modelRef: await store.putDir(dir) };
  }

  async function positive(client: ReturnType<typeof clients>, model: string) {
    const res = await client.classify.call('Classify', { model_name: model, inputs: [{ text: TEXT }] });
    return { version: res.model_version as string, p: res.results[0].probabilities[1].probability as number };
  }

  const fetches = () => log.filter((l) => l.startsWith('model store: fetched')).length;

  before(async () => {
    await publishModels(await exported('s1', [{ name: 'sst2', version: 1, seed: 101 }]));
    server = await startServer(cache, { modelStore: storeDir, pollIntervalMs: 50 }, log);
    c = clients(server.port);
  });

  after(async () => {
    for (const client of Object.values(c)) client.close();
    await server.shutdown();
    root.remove();
  });

  it('serves a model published to the store: Classify answers with its probabilities', async () => {
    const { version, p } = await positive(c, 'sst2');
    assert.equal(version, '1');
    assert.ok(Math.abs(p - expectedPositive(fixtures['sst2/1']!)) < 1e-5, `${p}`);
    // The version is a link into the content-addressed packages, and nothing is left half-fetched.
    assert.match(await fs.readlink(join(cache, 'sst2', '1')), /^\.\.\/\.packages\/[0-9a-f]{64}$/);
    assert.deepEqual(await fs.readdir(join(cache, '.incoming')), []);
  });

  it('loads a version published later; the same package published again is not fetched again', async () => {
    await publishModels(await exported('s2', [{ name: 'sst2', version: 2, seed: 202 }]));
    await until(async () => (await positive(c, 'sst2')).version === '2', 'version 2 to serve');
    assert.ok(Math.abs((await positive(c, 'sst2')).p - expectedPositive(fixtures['sst2/2']!)) < 1e-5);
    const fetched = fetches();
    assert.equal(fetched, 2);
    // A retried activity, and the same package under another name: same refs, so no download.
    await publishModels(await exported('s2', [{ name: 'sst2', version: 2, seed: 202 }]));
    await publishModels(await exported('s3', [{ name: 'sst2-copy', version: 1, seed: 202 }]));
    await until(() => server.manager.find('sst2-copy') !== null, 'sst2-copy to load');
    assert.equal(fetches(), fetched);
    assert.equal(
      await fs.readlink(join(cache, 'sst2-copy', '1')),
      await fs.readlink(join(cache, 'sst2', '2')),
    );
  });

  it('logs and skips a missing or corrupt package, once, and keeps serving the others', async () => {
    await store.appendLog(MODEL_REGISTRY_LOG, {
      name: 'ghost',
      version: 1,
      ref: `sha256:${'0'.repeat(64)}`,
      searchId: 'gone',
    });
    const broken = await exported('s4', [{ name: 'broken', version: 1, seed: 404 }]);
    const onnx = await store.putFile(join(fixtures['broken/1']!.versionDir, 'model.onnx'));
    await fs.writeFile(store.objectPath(onnx), 'not the bytes its ref names');
    await publishModels(broken);
    await until(
      () => log.some((l) => l.includes('broken version 1') && l.endsWith('skipped')),
      'the corrupt package to be skipped',
    );
    await until(
      () => log.some((l) => l.includes('ghost version 1') && l.endsWith('skipped')),
      'ghost skipped',
    );
    await sleep(300); // several more polls
    assert.equal(log.filter((l) => l.includes('broken version 1')).length, 1);
    assert.equal(log.filter((l) => l.includes('ghost version 1')).length, 1);
    assert.equal(server.manager.find('broken'), null);
    assert.deepEqual(await fs.readdir(join(cache, '.incoming')), []);
    assert.ok(!(await fs.readdir(cache)).includes('broken'));
    assert.equal((await positive(c, 'sst2')).version, '2');
  });

  it('while the store cannot be read, logs it, keeps serving, and picks up what was published meanwhile', async () => {
    const aside = `${storeDir}-aside`;
    await fs.rename(storeDir, aside);
    await fs.writeFile(storeDir, 'a file where the store should be');
    await until(() => log.some((l) => l.includes('cannot read published models')), 'the outage to be logged');
    assert.equal((await positive(c, 'sst2')).version, '2');
    await fs.rm(storeDir);
    await fs.rename(aside, storeDir);
    await publishModels(await exported('s5', [{ name: 'after-outage', version: 1, seed: 505 }]));
    await until(() => server.manager.find('after-outage') !== null, 'after-outage to load');
  });

  it('a withdrawn version stops serving (the previous one serves again) and its package is deleted', async () => {
    await publishModels(await exported('s7', [{ name: 'sst2', version: 3, seed: 707 }]));
    await until(async () => (await positive(c, 'sst2')).version === '3', 'version 3 to serve');
    const hex3 = (await fs.readlink(join(cache, 'sst2', '3'))).split('/').at(-1)!;
    await withdrawModelVersion(store, 'sst2', 3, 'worse than version 2 on our data');
    await until(async () => (await positive(c, 'sst2')).version === '2', 'version 2 to serve again');
    assert.ok(Math.abs((await positive(c, 'sst2')).p - expectedPositive(fixtures['sst2/2']!)) < 1e-5);
    await until(
      async () => !(await fs.readdir(join(cache, '.packages'))).includes(hex3),
      'the package deleted',
    );
    assert.ok(!(await fs.readdir(join(cache, 'sst2'))).includes('3'));
    assert.ok(log.some((l) => l.includes('sst2 version 3 was withdrawn (worse than version 2 on our data)')));
    // The packages other versions use stay.
    const kept = await fs.readdir(join(cache, '.packages'));
    for (const v of ['1', '2'])
      assert.ok(kept.includes((await fs.readlink(join(cache, 'sst2', v))).split('/').at(-1)!));
  });

  it('without polling, RepositoryModelLoad pulls first; RepositoryModelUnload stops serving', async () => {
    const second = await startServer(join(root.dir, 'cache-2'), { modelStore: storeDir, pollIntervalMs: 0 });
    const c2 = clients(second.port);
    try {
      assert.equal((await positive(c2, 'sst2')).version, '2');
      await publishModels(await exported('s6', [{ name: 'late', version: 1, seed: 606 }]));
      assert.equal((await rejection(positive(c2, 'late'))).code, grpc.status.NOT_FOUND);
      await c2.oip.call('RepositoryModelLoad', { model_name: 'late' });
      assert.ok(Math.abs((await positive(c2, 'late')).p - expectedPositive(fixtures['late/1']!)) < 1e-5);
      await c2.oip.call('RepositoryModelUnload', { model_name: 'late' });
      assert.equal((await rejection(positive(c2, 'late'))).code, grpc.status.NOT_FOUND);
    } finally {
      for (const client of Object.values(c2)) client.close();
      await second.shutdown();
    }
  });
});
