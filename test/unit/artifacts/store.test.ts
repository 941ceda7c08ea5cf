import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ArtifactNotFoundError,
  DirArtifactStore,
  isArtifactRef,
  refOf,
} from '../../../efficientbert/artifacts';

describe('ArtifactStore', () => {
  let root: string;
  let store: DirArtifactStore;
  before(async () => {
    root = await fs.mkdtemp(path.join(tmpdir(), 'eb-artifacts-'));
    store = new DirArtifactStore(path.join(root, 'store'));
  });
  after(async () => fs.rm(root, { recursive: true, force: true }));

  it('names bytes by their sha256 and stores each content once', async () => {
    const a = await store.putBytes(Buffer.from('hello'));
    assert.equal(a, 'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
    assert.equal(await store.putBytes(Buffer.from('hello')), a);
    assert.ok(isArtifactRef(a));
    assert.equal((await store.getBytes(a)).toString(), 'hello');
    assert.deepEqual(await fs.readdir(path.join(store.root, 'tmp')), []);
  });

  it('round-trips JSON and files, and rejects unknown or malformed refs', async () => {
    const ref = await store.putJson({ x: [1, 2] });
    assert.deepEqual(await store.getJson(ref), { x: [1, 2] });
    const file = path.join(root, 'f.bin');
    await fs.writeFile(file, Buffer.alloc(100_000, 7));
    const fref = await store.putFile(file);
    assert.equal(fref, refOf(Buffer.alloc(100_000, 7)));
    await store.getFile(fref, path.join(root, 'out', 'g.bin'));
    assert.deepEqual(await fs.readFile(path.join(root, 'out', 'g.bin')), Buffer.alloc(100_000, 7));
    await assert.rejects(store.getBytes(`sha256:${'0'.repeat(64)}`), ArtifactNotFoundError);
    await assert.rejects(store.getBytes('md5:abc'), /not an artifact ref/);
  });

  it('detects a corrupted object', async () => {
    const ref = await store.putBytes(Buffer.from('precious'));
    await fs.writeFile(store.objectPath(ref), 'tampered');
    await assert.rejects(store.getBytes(ref), /corrupt/);
  });

  it('stores directories as a manifest and restores them', async () => {
    const dir = path.join(root, 'model');
    await fs.mkdir(path.join(dir, 'sub'), { recursive: true });
    await fs.writeFile(path.join(dir, 'a.json'), '{"a":1}');
    await fs.writeFile(path.join(dir, 'sub', 'w.bin'), Buffer.from([1, 2, 3]));
    const ref = await store.putDir(dir);
    assert.equal(await store.putDir(dir), ref, 'same tree, same ref');
    const manifest = await store.getDir(ref, path.join(root, 'restored'));
    assert.deepEqual(
      manifest.entries.map((e) => e.path),
      ['a.json', 'sub/w.bin'],
    );
    assert.deepEqual(await fs.readFile(path.join(root, 'restored', 'sub', 'w.bin')), Buffer.from([1, 2, 3]));
  });

  it('keeps named pointers and append-only logs', async () => {
    assert.equal(await store.getPointer('candidates/s1/c1/result'), undefined);
    const ref = await store.putJson({ reward: 0.5 });
    await store.setPointer('candidates/s1/c1/result', ref);
    assert.equal(await store.getPointer('candidates/s1/c1/result'), ref);
    await assert.rejects(store.setPointer('../escape', ref), /bad pointer/);
    await assert.rejects(store.setPointer('a/../b', ref), /bad pointer/);
    await store.appendLog('trainings/s1', { e: 1 });
    await store.appendLog('trainings/s1', { e: 2 });
    assert.deepEqual(await store.readLog('trainings/s1'), [{ e: 1 }, { e: 2 }]);
    assert.deepEqual(await store.readLog('trainings/none'), []);
  });
});
