import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  ArtifactCorruptError,
  ArtifactNotFoundError,
  type ArtifactRef,
  BaseArtifactStore,
  checkName,
  hexOf,
  isArtifactRef,
  refOf,
  verified,
} from './store';

/** Objects above one part go up as a multipart upload: S3 publishes it only on Complete. */
export const MULTIPART_PART_SIZE = 8 * 1024 * 1024;

export interface S3Location {
  readonly bucket: string;
  /** '' or ending in '/'. */
  readonly prefix: string;
}

export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!m) throw new TypeError(`bad S3 artifact location '${url}' (expected s3://bucket[/prefix])`);
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { bucket: m[1]!, prefix: prefix ? `${prefix}/` : '' };
}

/**
 * The client from the standard AWS variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_REGION), plus AWS_ENDPOINT_URL for MinIO and other S3-compatible servers, which need
 * path-style addressing. Checksums the SDK adds by default (CRC32 trailers) are turned off to
 * stay compatible with older S3 servers: every read is verified against its sha256 ref anyway.
 */
export function s3ClientFromEnv(env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  return new S3Client({
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    // The SDK's default chain reads process.env only; keys in `env` win, else that chain (files, roles).
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

/** A per-process sequence so one writer's log records sort in the order it wrote them. */
let logSeq = 0;

/**
 * The artifact store in an S3 bucket (AWS S3, MinIO, ...), for deployments with many machines.
 *
 * Layout under `s3://bucket/prefix/`:
 *   objects/<aa>/<hex>                       object bytes, keyed by the sha256 computed before upload
 *   pointers/<name>                          the ref a name points to (text; last writer wins)
 *   logs/<name>/<ms>-<pid>-<seq>-<rand>.json one object per record: S3 has no append, and one
 *                                            object per record lets writers on many machines log
 *                                            without a read-modify-write race; keys sort by time
 *
 * A PutObject or a multipart upload becomes visible only when it completes, so a writer killed
 * mid-upload leaves nothing under the ref (an abandoned multipart upload holds parts, never an
 * object: a bucket lifecycle rule AbortIncompleteMultipartUpload reclaims them).
 */
export class S3ArtifactStore extends BaseArtifactStore {
  readonly location: string;
  /**
   * Log records already read, by key. A record's key is unique and its object never rewritten, so
   * a poll (an inference server watching the model repository) lists the keys and GETs only the
   * new ones, instead of every record each time.
   */
  private readonly logRecords = new Map<string, string>();

  constructor(
    readonly client: S3Client,
    readonly where: S3Location,
  ) {
    super();
    this.location = `s3://${where.bucket}/${where.prefix}`;
  }

  objectKey(ref: string): string {
    const hex = hexOf(ref);
    return `${this.where.prefix}objects/${hex.slice(0, 2)}/${hex}`;
  }

  private key(rel: string): string {
    return `${this.where.prefix}${rel}`;
  }

  private async upload(key: string, body: Uint8Array | Readable): Promise<void> {
    await new Upload({
      client: this.client,
      params: { Bucket: this.where.bucket, Key: key, Body: body },
      partSize: MULTIPART_PART_SIZE,
      queueSize: 2,
      leavePartsOnError: false,
    }).done();
  }

  private async getBody(key: string): Promise<Readable | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.where.bucket, Key: key }));
      return out.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async getText(key: string): Promise<string | undefined> {
    const body = await this.getBody(key);
    if (!body) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async has(ref: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.where.bucket, Key: this.objectKey(ref) }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async putBytes(bytes: Uint8Array): Promise<ArtifactRef> {
    const ref = refOf(bytes);
    if (!(await this.has(ref))) await this.upload(this.objectKey(ref), bytes);
    return ref;
  }

  async getBytes(ref: string): Promise<Buffer> {
    const body = await this.getBody(this.objectKey(ref));
    if (!body) throw new ArtifactNotFoundError(ref);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return verified(ref, Buffer.concat(chunks));
  }

  /** Hashes the file first (the key is its ref), then streams it up, multipart when large. */
  async putFile(file: string): Promise<ArtifactRef> {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    const ref: ArtifactRef = `sha256:${hash.digest('hex')}`;
    if (!(await this.has(ref))) await this.upload(this.objectKey(ref), createReadStream(file));
    return ref;
  }

  /** Streams the object to a temp file while hashing it, and renames it into place only if it verifies. */
  async getFile(ref: string, dest: string): Promise<void> {
    const body = await this.getBody(this.objectKey(ref));
    if (!body) throw new ArtifactNotFoundError(ref);
    await fs.mkdir(path.dirname(path.resolve(dest)), { recursive: true });
    const tmp = `${dest}.tmp-${randomBytes(4).toString('hex')}`;
    const hash = createHash('sha256');
    body.on('data', (chunk: Buffer) => hash.update(chunk));
    try {
      await pipeline(body, createWriteStream(tmp));
      if (`sha256:${hash.digest('hex')}` !== ref) throw new ArtifactCorruptError(ref);
      await fs.rename(tmp, dest);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  async setPointer(name: string, ref: string): Promise<void> {
    hexOf(ref);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.where.bucket,
        Key: this.key(`pointers/${checkName(name)}`),
        Body: ref,
      }),
    );
  }

  async getPointer(name: string): Promise<ArtifactRef | undefined> {
    const text = (await this.getText(this.key(`pointers/${checkName(name)}`)))?.trim();
    return isArtifactRef(text) ? text : undefined;
  }

  async appendLog(name: string, record: unknown): Promise<void> {
    logSeq += 1;
    const id = [
      String(Date.now()).padStart(15, '0'),
      String(process.pid).padStart(8, '0'),
      String(logSeq).padStart(10, '0'),
      randomBytes(4).toString('hex'),
    ].join('-');
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.where.bucket,
        Key: this.key(`logs/${checkName(name)}/${id}.json`),
        Body: JSON.stringify(record),
      }),
    );
  }

  /** Records in key order: by writer clock, then by each writer's own sequence. */
  async readLog<T = unknown>(name: string): Promise<T[]> {
    const prefix = this.key(`logs/${checkName(name)}/`);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.where.bucket,
          Prefix: prefix,
          Delimiter: '/',
          ContinuationToken: token,
        }),
      );
      for (const o of page.Contents ?? []) if (o.Key?.endsWith('.json')) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    keys.sort();
    const fresh = keys.filter((k) => !this.logRecords.has(k));
    const texts = await Promise.all(fresh.map((k) => this.getText(k)));
    fresh.forEach((k, i) => {
      if (texts[i] !== undefined) this.logRecords.set(k, texts[i]);
    });
    return keys.flatMap((k) => {
      const text = this.logRecords.get(k);
      return text === undefined ? [] : [JSON.parse(text) as T];
    });
  }
}
