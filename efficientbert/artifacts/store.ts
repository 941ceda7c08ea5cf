import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The content-addressed artifact store every backend implements. Objects are named by the sha256
 * of their bytes (`sha256:<hex>`), so writing the same content twice is a no-op and a reference
 * always means the same bytes; every read checks that. Named pointers
 * (`candidates/<searchId>/<candidateId>/result`) map stable names to references: they are how
 * activities find work that is already done. Logs are ordered JSON records under a name. A crash
 * mid-write never leaves a partial object or pointer visible.
 */
export type ArtifactRef = `sha256:${string}`;

const REF_RE = /^sha256:([0-9a-f]{64})$/;
const NAME_RE = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

export interface DirManifest {
  readonly kind: 'efficientbert.dir-manifest';
  readonly version: 1;
  readonly entries: readonly { readonly path: string; readonly ref: ArtifactRef; readonly size: number }[];
}

export interface ArtifactStore {
  /** What `openArtifactStore` reopens this store from (a directory or an s3:// URL): child processes get it. */
  readonly location: string;
  has(ref: string): Promise<boolean>;
  putBytes(bytes: Uint8Array): Promise<ArtifactRef>;
  getBytes(ref: string): Promise<Buffer>;
  putJson(value: unknown): Promise<ArtifactRef>;
  getJson<T = unknown>(ref: string): Promise<T>;
  putFile(file: string): Promise<ArtifactRef>;
  /** Streams chunks in (an upload) without holding them in memory; refuses more than `maxBytes`. */
  putChunks(
    chunks: AsyncIterable<Uint8Array>,
    maxBytes?: number,
  ): Promise<{ ref: ArtifactRef; size: number }>;
  getFile(ref: string, dest: string): Promise<void>;
  putDir(dir: string): Promise<ArtifactRef>;
  getDir(ref: string, dest: string): Promise<DirManifest>;
  setPointer(name: string, ref: string): Promise<void>;
  getPointer(name: string): Promise<ArtifactRef | undefined>;
  appendLog(name: string, record: unknown): Promise<void>;
  readLog<T = unknown>(name: string): Promise<T[]>;
}

export function isArtifactRef(value: unknown): value is ArtifactRef {
  return typeof value === 'string' && REF_RE.test(value);
}

export function refOf(bytes: Uint8Array): ArtifactRef {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function hexOf(ref: string): string {
  const m = REF_RE.exec(ref);
  if (!m) throw new TypeError(`not an artifact ref: '${ref}' (expected sha256:<64 hex digits>)`);
  return m[1]!;
}

export function checkName(name: string): string {
  if (!NAME_RE.test(name) || name.split('/').some((p) => p === '.' || p === '..')) {
    throw new TypeError(`bad pointer/log name '${name}' (segments of [A-Za-z0-9._-] joined by '/')`);
  }
  return name;
}

/** Throws unless `bytes` hash to `ref`: a backend must never hand out bytes its ref does not name. */
export function verified(ref: string, bytes: Buffer): Buffer {
  if (refOf(bytes) !== ref) throw new ArtifactCorruptError(ref);
  return bytes;
}

/** JSON and directory manifests are the same on every backend: built on the byte-level primitives. */
export abstract class BaseArtifactStore implements ArtifactStore {
  abstract readonly location: string;
  abstract has(ref: string): Promise<boolean>;
  abstract putBytes(bytes: Uint8Array): Promise<ArtifactRef>;
  abstract getBytes(ref: string): Promise<Buffer>;
  abstract putFile(file: string): Promise<ArtifactRef>;
  abstract getFile(ref: string, dest: string): Promise<void>;
  abstract setPointer(name: string, ref: string): Promise<void>;
  abstract getPointer(name: string): Promise<ArtifactRef | undefined>;
  abstract appendLog(name: string, record: unknown): Promise<void>;
  abstract readLog<T = unknown>(name: string): Promise<T[]>;

  async putJson(value: unknown): Promise<ArtifactRef> {
    return this.putBytes(Buffer.from(JSON.stringify(value)));
  }

  async getJson<T = unknown>(ref: string): Promise<T> {
    return JSON.parse((await this.getBytes(ref)).toString('utf8')) as T;
  }

  /**
   * Stores bytes that arrive in chunks (an upload), hashing them on the way to a local temp file, so
   * a large upload is never held in memory; then stores that file (multipart on S3). Throws, and
   * stores nothing, past `maxBytes`.
   */
  async putChunks(
    chunks: AsyncIterable<Uint8Array>,
    maxBytes = Number.POSITIVE_INFINITY,
  ): Promise<{ ref: ArtifactRef; size: number }> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'efficientbert-upload-'));
    try {
      const tmp = path.join(dir, 'upload');
      let size = 0;
      const fh = await fs.open(tmp, 'w');
      try {
        for await (const chunk of chunks) {
          size += chunk.byteLength;
          if (size > maxBytes) throw new RangeError(`upload exceeds ${maxBytes} bytes`);
          await fh.write(chunk);
        }
      } finally {
        await fh.close();
      }
      return { ref: await this.putFile(tmp), size };
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
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
}

export class ArtifactNotFoundError extends Error {
  constructor(readonly ref: string) {
    super(`artifact ${ref} not found`);
    this.name = 'ArtifactNotFoundError';
  }
}

export class ArtifactCorruptError extends Error {
  constructor(readonly ref: string) {
    super(`artifact ${ref} is corrupt (content hash differs)`);
    this.name = 'ArtifactCorruptError';
  }
}
