import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  DirArtifactStore,
  MODEL_REGISTRY_LOG,
  type PublishedModel,
  readModelRegistry,
  readPublishedModels,
  STORE_MODEL_REPOSITORY,
  UnpublishedModelError,
  withdrawModelVersion,
} from '../../../efficientbert/artifacts';
import { createActivities } from '../../../workflows/activities';

/** Writes `files` (path -> text) under a fresh folder and stores it as a directory artifact. */
async function storeTree(store: DirArtifactStore, root: string, files: Record<string, string>) {
  const dir = await fs.mkdtemp(path.join(root, 'tree-'));
  for (const [file, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await fs.writeFile(path.join(dir, file), text);
  }
  return store.putDir(dir);
}

describe('model registry in the artifact store (publishModels with EFFICIENTBERT_MODEL_REPO=store)', () => {
  let root: string;
  let store: DirArtifactStore;
  let publish: ReturnType<typeof createActivities>['publishModels'];

  before(async () => {
    root = await fs.mkdtemp(path.join(tmpdir(), 'eb-registry-'));
    store = new DirArtifactStore(path.join(root, 'store'));
    ({ publishModels: publish } = createActivities({
      store,
      trainer: 'fake',
      modelRepository: STORE_MODEL_REPOSITORY,
    }));
  });
  after(() => fs.rm(root, { recursive: true, force: true }));

  it("records each version as its own package artifact, holding only that version's files", async () => {
    const modelRef = await storeTree(store, root, {
      's1-sst2/1/model.onnx': 'onnx sst2',
      's1-sst2/1/model.json': '{"task":"classification"}',
      's1-sst2/1/tokenizer/vocab.txt': 'a\nb',
      's1-stsb/1/model.onnx': 'onnx stsb',
      'README.txt': 'not a model version',
    });
    assert.deepEqual(await publish({ searchId: 's1', modelRef }), ['s1-sst2', 's1-stsb']);
    const models = await readPublishedModels(store);
    assert.deepEqual(
      models.map((m) => [m.name, m.version, m.searchId]),
      [
        ['s1-sst2', 1, 's1'],
        ['s1-stsb', 1, 's1'],
      ],
    );
    const out = path.join(root, 'out');
    const manifest = await store.getDir(models[0]!.ref, out);
    assert.deepEqual(manifest.entries.map((e) => e.path).sort(), [
      'model.json',
      'model.onnx',
      'tokenizer/vocab.txt',
    ]);
    assert.equal(await fs.readFile(path.join(out, 'model.onnx'), 'utf8'), 'onnx sst2');
  });

  it('a retried publication appends nothing, and a version already published keeps its first package', async () => {
    const modelRef = await storeTree(store, root, { 's2-sst2/1/model.onnx': 'first' });
    await publish({ searchId: 's2', modelRef });
    const before = (await store.readLog(MODEL_REGISTRY_LOG)).length;
    await publish({ searchId: 's2', modelRef });
    assert.equal((await store.readLog(MODEL_REGISTRY_LOG)).length, before);
    const other = await storeTree(store, root, {
      's2-sst2/1/model.onnx': 'second',
      's2-sst2/2/model.onnx': 'v2',
    });
    await publish({ searchId: 's2-again', modelRef: other });
    const s2 = (await readPublishedModels(store)).filter((m) => m.name === 's2-sst2');
    assert.deepEqual(
      s2.map((m) => [m.version, m.searchId]),
      [
        [1, 's2'],
        [2, 's2-again'],
      ],
    );
    const out = path.join(root, 'out-s2');
    await store.getDir(s2[0]!.ref, out);
    assert.equal(await fs.readFile(path.join(out, 'model.onnx'), 'utf8'), 'first');
  });

  it('skips malformed records in the shared log; a later well-formed one for the same version counts', async () => {
    const good: PublishedModel = (await readPublishedModels(store))[0]!;
    const log = path.join(root, 'store-bad');
    const bad = new DirArtifactStore(log);
    await bad.appendLog(MODEL_REGISTRY_LOG, { name: 'm', version: 1, ref: 'sha256:not-hex', searchId: 'x' });
    await bad.appendLog(MODEL_REGISTRY_LOG, { name: 'm', version: -1, ref: good.ref, searchId: 'x' });
    await bad.appendLog(MODEL_REGISTRY_LOG, 'just a string');
    await bad.appendLog(MODEL_REGISTRY_LOG, { name: 'm', version: 1, ref: good.ref, searchId: 'ok' });
    assert.deepEqual(await readPublishedModels(bad), [
      { name: 'm', version: 1, ref: good.ref, searchId: 'ok' },
    ]);
  });

  it('a withdrawn version is not served and is never published again; withdrawing twice appends nothing', async () => {
    const modelRef = await storeTree(store, root, {
      's3-sst2/1/model.onnx': 'v1',
      's3-sst2/2/model.onnx': 'v2',
    });
    await publish({ searchId: 's3', modelRef });
    assert.equal(await withdrawModelVersion(store, 's3-sst2', 2, 'regressed on our data'), true);
    const served = async () =>
      (await readPublishedModels(store)).filter((m) => m.name === 's3-sst2').map((m) => m.version);
    assert.deepEqual(await served(), [1]);
    const { withdrawn } = await readModelRegistry(store);
    assert.deepEqual(withdrawn, [
      { name: 's3-sst2', version: 2, withdrawn: true, reason: 'regressed on our data' },
    ]);
    const before = (await store.readLog(MODEL_REGISTRY_LOG)).length;
    assert.equal(await withdrawModelVersion(store, 's3-sst2', 2, 'again'), false);
    // A retried publication of the withdrawn version does not bring it back.
    await publish({ searchId: 's3', modelRef });
    assert.equal((await store.readLog(MODEL_REGISTRY_LOG)).length, before);
    assert.deepEqual(await served(), [1]);
    await assert.rejects(withdrawModelVersion(store, 's3-sst2', 9, 'typo'), UnpublishedModelError);
    await assert.rejects(withdrawModelVersion(store, 'nobody', 1, 'typo'), /never published/);
  });
});
