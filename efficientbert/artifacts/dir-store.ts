import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import {
  ArtifactNotFoundError,
  type ArtifactRef,
  BaseArtifactStore,
  checkName,
  hexOf,
  isArtifactRef,
  refOf,
  verified,
} from './store';

/**
 * The artifact store on a directory (one machine, or a ReadWriteMany volume). Every write goes to
 * a temp file and is renamed into place, so a crash never leaves a half-written object or pointer.
 *
 * Layout under `root`:
 *   objects/<aa>/<hex>     object bytes
 *   pointers/<name>        the ref a name points to (text)
 *   logs/<name>.jsonl      append-only event logs (not content-addressed)
 *   tmp/                   in-flight writes
 */
export class DirArtifactStore extends BaseArtifactStore {
  readonly root: string;

  constructor(root: string) {
    super();
    this.root = path.resolve(root);
  }

  get location(): string {
    return this.root;
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
      return verified(ref, await fs.readFile(this.objectPath(ref)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ArtifactNotFoundError(ref);
      throw err;
    }
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

  async getFile(ref: string, dest: string): Promise<void> {
    await fs.mkdir(path.dirname(path.resolve(dest)), { recursive: true });
    const bytes = await this.getBytes(ref);
    const tmp = `${dest}.tmp-${randomBytes(4).toString('hex')}`;
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, dest);
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
