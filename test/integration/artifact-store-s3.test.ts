import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  ArtifactCorruptError,
  ArtifactNotFoundError,
  type ArtifactStore,
  DirArtifactStore,
  MULTIPART_PART_SIZE,
  openArtifactStore,
  refOf,
  S3ArtifactStore,
} from '../../efficientbert/artifacts';
import { TestMinio } from '../helpers/minio';

const ROOT = path.join(__dirname, '..', '..');

let minio: TestMinio;
let root: string;
before(async () => {
  minio = await TestMinio.start();
  root = await fs.mkdtemp(path.join(tmpdir(), 'eb-s3-'));
});
after(async () => {
  await minio?.stop();
  await fs.rm(root, { recursive: true, force: true });
});

async function s3Store(): Promise<S3ArtifactStore> {
  const store = openArtifactStore(`s3://${await minio.createBucket()}/some/prefix`, { ...minio.env });
  assert.ok(store instanceof S3ArtifactStore);
  return store;
}

/** The contract every backend keeps. */
function contract(name: string, make: () => Promise<ArtifactStore>): void {
  describe(`artifact store contract: ${name}`, () => {
    let store: ArtifactStore;
    before(async () => {
      store = await make();
    });

    it('names bytes by sha256, stores each content once, round-trips JSON and files', async () => {
      const a = await store.putBytes(Buffer.from('hello'));
      assert.equal(a, 'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
      assert.equal(await store.putBytes(Buffer.from('hello')), a);
      assert.equal((await store.getBytes(a)).toString(), 'hello');
      const j = await store.putJson({ x: [1, 2] });
      assert.deepEqual(await store.getJson(j), { x: [1, 2] });
      const file = path.join(root, `${name}-f.bin`);
      await fs.writeFile(file, Buffer.alloc(100_000, 7));
      const fref = await store.putFile(file);
      assert.equal(fref, refOf(Buffer.alloc(100_000, 7)));
      await store.getFile(fref, path.join(root, name, 'g.bin'));
      assert.deepEqual(await fs.readFile(path.join(root, name, 'g.bin')), Buffer.alloc(100_000, 7));
      await assert.rejects(store.getBytes(`sha256:${'0'.repeat(64)}`), ArtifactNotFoundError);
      await assert.rejects(
        store.getFile(`sha256:${'0'.repeat(64)}`, path.join(root, 'x')),
        ArtifactNotFoundError,
      );
      await assert.rejects(store.getBytes('md5:abc'), /not an artifact ref/);
      assert.equal(await store.has(`sha256:${'0'.repeat(64)}`), false);
      assert.equal(store.location, openArtifactStore(store.location, { ...minio.env }).location);
    });

    it('stores directories as a manifest and restores them', async () => {
      const dir = path.join(root, `${name}-model`);
      await fs.mkdir(path.join(dir, 'sub'), { recursive: true });
      await fs.writeFile(path.join(dir, 'a.json'), '{"a":1}');
      await fs.writeFile(path.join(dir, 'sub', 'w.bin'), Buffer.from([1, 2, 3]));
      const ref = await store.putDir(dir);
      assert.equal(await store.putDir(dir), ref, 'same tree, same ref');
      const manifest = await store.getDir(ref, path.join(root, `${name}-restored`));
      assert.deepEqual(
        manifest.entries.map((e) => e.path),
        ['a.json', 'sub/w.bin'],
      );
      assert.deepEqual(
        await fs.readFile(path.join(root, `${name}-restored`, 'sub', 'w.bin')),
        Buffer.from([1, 2, 3]),
      );
    });

    it('keeps named pointers and ordered logs', async () => {
      assert.equal(await store.getPointer('candidates/s1/c1/result'), undefined);
      const ref = await store.putJson({ reward: 0.5 });
      await store.setPointer('candidates/s1/c1/result', ref);
      assert.equal(await store.getPointer('candidates/s1/c1/result'), ref);
      const ref2 = await store.putJson({ reward: 0.6 });
      await store.setPointer('candidates/s1/c1/result', ref2);
      assert.equal(await store.getPointer('candidates/s1/c1/result'), ref2);
      await assert.rejects(store.setPointer('../escape', ref), /bad pointer/);
      await assert.rejects(store.setPointer('a/../b', ref), /bad pointer/);
      for (let e = 1; e <= 12; e++) await store.appendLog('trainings/s1', { e });
      await store.appendLog('trainings/s1/nested', { other: true });
      assert.deepEqual(
        await store.readLog('trainings/s1'),
        Array.from({ length: 12 }, (_, i) => ({ e: i + 1 })),
      );
      assert.deepEqual(await store.readLog('trainings/none'), []);
    });
  });
}

contract('directory', async () => new DirArtifactStore(path.join(root, 'dir-store')));

describe('S3 log reads', () => {
  it('GET each record once: a poll after new records fetches only those', async () => {
    const store = await s3Store();
    const gets: string[] = [];
    store.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetObjectCommand') gets.push((args.input as { Key: string }).Key);
        return next(args);
      },
      { step: 'initialize', name: 'countGets' },
    );
    for (let e = 1; e <= 5; e++) await store.appendLog('models', { e });
    assert.equal((await store.readLog('models')).length, 5);
    assert.equal(gets.length, 5);
    await store.appendLog('models', { e: 6 });
    assert.deepEqual(
      await store.readLog('models'),
      Array.from({ length: 6 }, (_, i) => ({ e: i + 1 })),
    );
    assert.equal(gets.length, 6, 'the second read fetched only the new record');
    // Another process's store (no cache) still reads them all, in the same order.
    const other = openArtifactStore(store.location, { ...minio.env });
    assert.deepEqual(await other.readLog('models'), await store.readLog('models'));
  });
});
contract('s3 (MinIO)', s3Store);

describe('S3 artifact store on MinIO', { timeout: 300_000 }, () => {
  it('rejects an object whose bytes no longer match its ref, with a clear error', async () => {
    const store = await s3Store();
    const ref = await store.putBytes(Buffer.from('precious'));
    await store.client.send(
      new PutObjectCommand({ Bucket: store.where.bucket, Key: store.objectKey(ref), Body: 'tampered' }),
    );
    await assert.rejects(store.getBytes(ref), ArtifactCorruptError);
    await assert.rejects(store.getBytes(ref), /corrupt \(content hash differs\)/);
    const dest = path.join(root, 'corrupt', 'out.bin');
    await assert.rejects(store.getFile(ref, dest), ArtifactCorruptError);
    await assert.rejects(fs.access(dest), 'nothing written under the destination');
    assert.deepEqual(await fs.readdir(path.dirname(dest)), [], 'no temp file left behind');
  });

  it('uploads a large checkpoint as a multipart upload and reads it back verified', async () => {
    const store = await s3Store();
    const bytes = randomBytes(MULTIPART_PART_SIZE * 2 + 12_345);
    const file = path.join(root, 'big.bin');
    await fs.writeFile(file, bytes);
    const ref = await store.putFile(file);
    assert.equal(ref, refOf(bytes));
    const listed = await store.client.send(
      new ListObjectsV2Command({ Bucket: store.where.bucket, Prefix: store.objectKey(ref) }),
    );
    // S3 and MinIO give a multipart object an ETag of "<md5 of part md5s>-<part count>".
    assert.match(listed.Contents?.[0]?.ETag ?? '', /-3"$/);
    await store.getFile(ref, path.join(root, 'big-back.bin'));
    assert.deepEqual(await fs.readFile(path.join(root, 'big-back.bin')), bytes);
  });

  it('leaves no object under its ref when the uploading process is SIGKILLed mid-upload', async () => {
    const store = await s3Store();
    const bytes = randomBytes(96 * 1024 * 1024);
    const ref = refOf(bytes);
    const file = path.join(root, 'killed.bin');
    await fs.writeFile(file, bytes);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'test', 'helpers', 's3-put-file.ts'), store.location, file],
      {
        cwd: ROOT,
        env: { ...process.env, ...minio.env },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let inFlight = false;
    while (!inFlight && child.exitCode === null) {
      const uploads = await store.client.send(
        new ListMultipartUploadsCommand({ Bucket: store.where.bucket }),
      );
      inFlight = (uploads.Uploads ?? []).some((u) => u.Key === store.objectKey(ref));
      if (!inFlight) await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(inFlight, 'the child finished before its multipart upload was seen: make the file larger');
    child.kill('SIGKILL');
    await exited;
    assert.equal(await store.has(ref), false, 'no object under the ref');
    await assert.rejects(store.getBytes(ref), ArtifactNotFoundError);
    const objects = await store.client.send(new ListObjectsV2Command({ Bucket: store.where.bucket }));
    assert.deepEqual(objects.Contents ?? [], []);
    // A retry (as Temporal's would be) publishes the whole object.
    assert.equal(await store.putFile(file), ref);
    assert.equal(await store.has(ref), true);
  });
});
