import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/**
 * A content-addressed artifact store on a directory. Objects are named by the sha256 of their
 * bytes (`sha256:<hex>`), so writing the same content twice is a no-op and a reference always means
 * the same bytes. Named pointers (`candidates/<searchId>/<candidateId>/result`) map stable names to
 * references: they are how activities find work that is already done. Every write goes to a temp
 * file and is renamed into place, so a crash never leaves a half-written object or pointer.
 *
 * Layout under `root`:
 *   objects/<aa>/<hex>     object bytes
 *   pointers/<name>        the ref a name points to (text)
 *   logs/<name>.jsonl      append-only event logs (not content-addressed)
 *   tmp/                   in-flight writes
 */
export type ArtifactRef = `sha256:${string}`;

const REF_RE = /^sha256:([0-9a-f]{64})$/;
const NAME_RE = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

export interface DirManifest {
  readonly kind: 'efficientbert.dir-manifest';
  readonly version: 1;
  readonly entries: readonly { readonly path: string; readonly ref: ArtifactRef; readonly size: number }[];
}

export function isArtifactRef(value: unknown): value is ArtifactRef {
  return typeof value === 'string' && REF_RE.test(value);
}

export function refOf(bytes: Uint8Array): ArtifactRef {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function hexOf(ref: string): string {
  const m = REF_RE.exec(ref);
  if (!m) throw new TypeError(`not an artifact ref: '${ref}' (expected sha256:<64 hex digits>)`);
  return m[1]!;
}

function checkName(name: string): string {
  if (!NAME_RE.test(name) || name.split('/').some((p) => p === '.' || p === '..')) {
    throw new TypeError(`bad pointer/log name '${name}' (segments of [A-Za-z0-9._-] joined by '/')`);
  }
  return name;
}

export class ArtifactStore {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** The store named by EFFICIENTBERT_ARTIFACTS, else ./.efficientbert/artifacts. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): ArtifactStore {
    return new ArtifactStore(env.EFFICIENTBERT_ARTIFACTS ?? path.join('.efficientbert', 'artifacts'));
  }

  objectPath(ref: string): string {
    const hex = hexOf(ref);
    return path.join(this.root, 'objects', hex.slice(0, 2), hex);
  }

  private async atomicWrite(dest: string, data: Uint8Array | string): Promise<void> {
    const tmpDir = path.join(this.root, 'tmp');
    await fs.mkdir(tmpDir, { recursive: true });
    await fs.mkdir(path.dirname(dest), { recursive: true });
    const tmp = path.join(tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}`);
    const fh = await fs.open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, dest);
  }

  async has(ref: string): Promise<boolean> {
    try {
      await fs.access(this.objectPath(ref));
      return true;
    } catch {
      return false;
    }
  }

  async putBytes(bytes: Uint8Array): Promise<ArtifactRef> {
    const ref = refOf(bytes);
    if (!(await this.has(ref))) await this.atomicWrite(this.objectPath(ref), bytes);
    return ref;
  }

  async getBytes(ref: string): Promise<Buffer> {
    try {
      const bytes = await fs.readFile(this.objectPath(ref));
      if (refOf(bytes) !== ref) throw new Error(`artifact ${ref} is corrupt (content hash differs)`);
      return bytes;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ArtifactNotFoundError(ref);
      throw err;
    }
  }

  async putJson(value: unknown): Promise<ArtifactRef> {
    return this.putBytes(Buffer.from(JSON.stringify(value)));
  }

  async getJson<T = unknown>(ref: string): Promise<T> {
    return JSON.parse((await this.getBytes(ref)).toString('utf8')) as T;
  }

  /** Stores a file by streaming its hash first, then copying it in. */
  async putFile(file: string): Promise<ArtifactRef> {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    const ref: ArtifactRef = `sha256:${hash.digest('hex')}`;
    if (await this.has(ref)) return ref;
    const tmpDir = path.join(this.root, 'tmp');
    await fs.mkdir(tmpDir, { recursive: true });
    const tmp = path.join(tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}`);
    await fs.copyFile(file, tmp);
    const dest = this.objectPath(ref);
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.rename(tmp, dest);
    return ref;
  }

  /**
   * Stores bytes that arrive in chunks (an upload), hashing them on the way to a temp file, so a
   * large upload is never held in memory. Throws (and leaves nothing behind) past `maxBytes`.
   */
  async putChunks(
    chunks: AsyncIterable<Uint8Array>,
    maxBytes = Number.POSITIVE_INFINITY,
  ): Promise<{ ref: ArtifactRef; size: number }> {
    const tmpDir = path.join(this.root, 'tmp');
    await fs.mkdir(tmpDir, { recursive: true });
    const tmp = path.join(tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    const fh = await fs.open(tmp, 'w');
    try {
      for await (const chunk of chunks) {
        size += chunk.byteLength;
        if (size > maxBytes) throw new RangeError(`upload exceeds ${maxBytes} bytes`);
        hash.update(chunk);
        await fh.write(chunk);
      }
      await fh.sync();
    } catch (err) {
      await fh.close();
      await fs.rm(tmp, { force: true });
      throw err;
    }
    await fh.close();
    const ref: ArtifactRef = `sha256:${hash.digest('hex')}`;
    if (await this.has(ref)) await fs.rm(tmp, { force: true });
    else {
      const dest = this.objectPath(ref);
      await fs.mkdir(path.dirname(dest), { recursive: true });
      await fs.rename(tmp, dest);
    }
    return { ref, size };
  }

  async getFile(ref: string, dest: string): Promise<void> {
    await fs.mkdir(path.dirname(path.resolve(dest)), { recursive: true });
    const bytes = await this.getBytes(ref);
    const tmp = `${dest}.tmp-${randomBytes(4).toString('hex')}`;
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, dest);
  }

  /** Stores every regular file under `dir` and a manifest listing them; returns the manifest's ref. */
  async putDir(dir: string): Promise<ArtifactRef> {
    const entries: { path: string; ref: ArtifactRef; size: number }[] = [];
    const walk = async (rel: string): Promise<void> => {
      const items = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
      items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const item of items) {
        const r = rel ? `${rel}/${item.name}` : item.name;
        if (item.isDirectory()) await walk(r);
        else if (item.isFile()) {
          const full = path.join(dir, r);
          entries.push({ path: r, ref: await this.putFile(full), size: (await fs.stat(full)).size });
        }
      }
    };
    await walk('');
    const manifest: DirManifest = { kind: 'efficientbert.dir-manifest', version: 1, entries };
    return this.putJson(manifest);
  }

  async getDir(ref: string, dest: string): Promise<DirManifest> {
    const manifest = await this.getJson<DirManifest>(ref);
    if (manifest.kind !== 'efficientbert.dir-manifest')
      throw new TypeError(`${ref} is not a directory manifest`);
    for (const entry of manifest.entries) {
      if (entry.path.split('/').some((p) => p === '..' || p === '')) {
        throw new Error(`manifest ${ref} has an unsafe path '${entry.path}'`);
      }
      await this.getFile(entry.ref, path.join(dest, ...entry.path.split('/')));
    }
    return manifest;
  }

  /** Points `name` at `ref` (atomically replacing any previous target). */
  async setPointer(name: string, ref: string): Promise<void> {
    hexOf(ref);
    await this.atomicWrite(path.join(this.root, 'pointers', ...checkName(name).split('/')), ref);
  }

  async getPointer(name: string): Promise<ArtifactRef | undefined> {
    try {
      const text = (
        await fs.readFile(path.join(this.root, 'pointers', ...checkName(name).split('/')), 'utf8')
      ).trim();
      return isArtifactRef(text) ? text : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Appends one JSON line to the log `name` (single small appends are atomic under O_APPEND). */
  async appendLog(name: string, record: unknown): Promise<void> {
    const file = path.join(this.root, 'logs', `${checkName(name)}.jsonl`);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.appendFile(file, `${JSON.stringify(record)}\n`);
  }

  async readLog<T = unknown>(name: string): Promise<T[]> {
    try {
      const text = await fs.readFile(path.join(this.root, 'logs', `${checkName(name)}.jsonl`), 'utf8');
      return text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as T);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }
}

export class ArtifactNotFoundError extends Error {
  constructor(readonly ref: string) {
    super(`artifact ${ref} not found`);
    this.name = 'ArtifactNotFoundError';
  }
}
