/**
 * Search.ImportTeacher over real gRPC on loopback into a real artifact store, with a folder PyPI
 * transformers wrote: the upload (by the CLI, through the gateway) gives the ref of the local
 * import, and every bad stream gets its status and a message naming what is wrong, never a crash
 * or a hang, with the received folder removed afterwards however the call ended.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { DirArtifactStore } from '../../../efficientbert/artifacts';
import { selectBackend } from '../../../efficientbert/model/backend';
import { importTeacher } from '../../../efficientbert/model/teacher-import';
import { UPLOAD_CHUNK_BYTES } from '../../../services/cli/search/upload-data';
import { bearerInterceptor } from '../../../services/grpc/auth';
import { clientConstructor, serviceDefinition } from '../../../services/grpc/protos';
import { Secret } from '../../../services/grpc/secret';
import { loadSearchProtos, SEARCH_SERVICE } from '../../../services/search/protos';
import { type RunningSearchServer, startSearchServer } from '../../../services/search/server';
import { teacherImportHandlers } from '../../../services/search/teacher-import';
import { runCli } from '../../cli/cli-process';
import { makeHfBertFolders } from '../../helpers/hf-bert-folder';

interface Chunk {
  filename: string;
  chunk: Buffer;
}
interface Outcome {
  code: grpc.status;
  details: string;
  field?: string;
  reply?: Record<string, unknown>;
}
type SearchClient = grpc.Client & Record<string, (...args: unknown[]) => grpc.ClientWritableStream<Chunk>>;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'teacher-grpc-'));
const hf = path.join(work, 'hf');
/** Where the handlers write the folders they receive: must be empty after every call. */
const received = path.join(work, 'received');
const store = new DirArtifactStore(path.join(work, 'store'));
const MAX_BYTES_OF_SMALL_SERVER = 1000;

function chunksOf(dir: string, files: readonly string[], chunkBytes = UPLOAD_CHUNK_BYTES): Chunk[] {
  return files.flatMap((filename) => {
    const bytes = fs.readFileSync(path.join(dir, filename));
    const chunks: Chunk[] = [];
    for (let at = 0; at < bytes.length; at += chunkBytes)
      chunks.push({ filename, chunk: bytes.subarray(at, at + chunkBytes) });
    return chunks;
  });
}

function importOver(client: SearchClient, messages: readonly Chunk[]): Promise<Outcome> {
  return new Promise((resolve) => {
    const call = client.ImportTeacher!(
      { deadline: Date.now() + 60_000 },
      (err: grpc.ServiceError | null, reply: Record<string, unknown>) =>
        resolve(
          err
            ? {
                code: err.code,
                details: err.details,
                field: err.metadata?.get('field')[0] as string | undefined,
              }
            : { code: grpc.status.OK, details: '', reply },
        ),
    );
    for (const m of messages) call.write(m);
    call.end();
  });
}

async function serve(options: Parameters<typeof teacherImportHandlers>[1]) {
  const server = new grpc.Server();
  server.addService(
    serviceDefinition(loadSearchProtos(), SEARCH_SERVICE),
    teacherImportHandlers(store, options),
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { server, client: searchClient(`127.0.0.1:${port}`) };
}

function searchClient(address: string, token?: string): SearchClient {
  const Ctor = clientConstructor(loadSearchProtos(), SEARCH_SERVICE);
  return new Ctor(address, grpc.credentials.createInsecure(), {
    interceptors: token ? [bearerInterceptor(new Secret(token))] : [],
  }) as unknown as SearchClient;
}

function leftBehind(): string[] {
  return fs.readdirSync(received);
}

async function until(ok: () => boolean, what: string): Promise<void> {
  for (const start = Date.now(); !ok(); await new Promise((r) => setTimeout(r, 5)))
    assert.ok(Date.now() - start < 10_000, what);
}

/** Whether the one folder being received holds every file of `dir` at its full size. */
function receivedWhole(dir: string, files: readonly string[]): boolean {
  const [folder] = leftBehind();
  if (folder === undefined) return false;
  return files.every((f) => {
    const got = path.join(received, folder, f);
    return fs.existsSync(got) && fs.statSync(got).size === fs.statSync(path.join(dir, f)).size;
  });
}

function copyOfSt(edit: (dir: string) => void): string {
  const dir = fs.mkdtempSync(path.join(work, 'edited-'));
  fs.cpSync(path.join(hf, 'st'), dir, { recursive: true });
  edit(dir);
  return dir;
}

const ST_FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];
const BIN_FILES = ['config.json', 'pytorch_model.bin', 'tokenizer.json', 'tokenizer_config.json'];

describe('Search.ImportTeacher', { timeout: 180_000 }, () => {
  let normal: Awaited<ReturnType<typeof serve>>;
  let small: Awaited<ReturnType<typeof serve>>;

  before(async () => {
    makeHfBertFolders(hf);
    fs.mkdirSync(received);
    await selectBackend('cpu', () => {});
    normal = await serve({ tempDir: received });
    small = await serve({ tempDir: received, maxBytes: MAX_BYTES_OF_SMALL_SERVER });
  });

  after(async () => {
    for (const s of [normal, small]) {
      s?.client.close();
      s?.server.forceShutdown();
    }
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('`teacher import DIR` through the gateway gives the local import’s ref, for every weights layout', async () => {
    const gatewayStore = new DirArtifactStore(path.join(work, 'gateway-store'));
    const api: RunningSearchServer = await startSearchServer({
      temporalAddress: '127.0.0.1:1',
      connectTimeoutMs: 300,
      store: gatewayStore,
      log: () => {},
    });
    try {
      for (const kind of ['st', 'st-sharded', 'bin', 'bin-sharded'] as const) {
        const dir = path.join(hf, kind);
        const local = await importTeacher(dir, new DirArtifactStore(path.join(work, 'local-store')));
        const r = await runCli(['teacher', 'import', dir, '--json'], {
          env: { EFFICIENTBERT_SEARCH_ADDRESS: `127.0.0.1:${api.port}` },
        });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout), {
          ref: local.ref,
          architecture: 'BertForSequenceClassification',
          labels: ['sad', 'neutral', 'happy'],
          weightsFrom: local.weightsFrom,
        });
        assert.equal(local.weightsFrom.startsWith('model.safetensors'), kind.startsWith('st'));
        assert.ok(await gatewayStore.has(local.ref), `${kind}: the teacher is in the gateway's store`);
      }
    } finally {
      await api.close();
    }
  });

  it('reassembles files sent in many small chunks and answers the teacher’s shape', async () => {
    const local = await importTeacher(path.join(hf, 'st'), store);
    const messages = chunksOf(path.join(hf, 'st'), ST_FILES, 4096);
    assert.ok(messages.length > ST_FILES.length + 5, 'model.safetensors spans several chunks');
    const r = await importOver(normal.client, messages);
    assert.equal(r.code, grpc.status.OK, r.details);
    assert.deepEqual(r.reply, {
      ref: local.ref,
      architecture: 'BertForSequenceClassification',
      labels: ['sad', 'neutral', 'happy'],
      layers: 2,
      hidden: 32,
      weights_from: 'model.safetensors',
    });
    assert.deepEqual(leftBehind(), []);
  });

  it('refuses a file name that is empty, has a folder or .., or is not of a BERT folder, naming it', async () => {
    const config = fs.readFileSync(path.join(hf, 'st', 'config.json'));
    for (const name of ['', 'sub/config.json', '..', '../config.json', 'training_args.bin']) {
      const r = await importOver(normal.client, [{ filename: name, chunk: config }]);
      assert.equal(r.code, grpc.status.INVALID_ARGUMENT, `${name}: ${r.details}`);
      assert.equal(r.field, 'filename');
      assert.match(r.details, /^invalid filename: /);
      if (name !== '') assert.ok(r.details.includes(`'${name}'`), r.details);
      else assert.match(r.details, /required/);
      assert.deepEqual(leftBehind(), []);
    }
  });

  it('refuses a file sent twice apart, and a stream without messages', async () => {
    const messages = chunksOf(path.join(hf, 'st'), ['config.json', 'tokenizer.json', 'config.json']);
    const twice = await importOver(normal.client, messages);
    assert.equal(twice.code, grpc.status.INVALID_ARGUMENT);
    assert.match(twice.details, /'config\.json' was sent twice/);
    const none = await importOver(normal.client, []);
    assert.equal(none.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(none.field, 'filename');
    assert.match(none.details, /no files were sent/);
    assert.deepEqual(leftBehind(), []);
  });

  it('answers a folder import refuses with its message, naming the file at fault', async () => {
    const gpt2 = copyOfSt((d) => {
      const file = path.join(d, 'config.json');
      const c = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      fs.writeFileSync(file, JSON.stringify({ ...c, architectures: ['GPT2LMHeadModel'] }));
    });
    const r = await importOver(normal.client, chunksOf(gpt2, ST_FILES));
    assert.equal(r.code, grpc.status.INVALID_ARGUMENT);
    assert.match(r.details, /config\.json: architecture 'GPT2LMHeadModel' is not supported/);
    // Weights of two and a half CLI-sized chunks: every message fits the gateway's receive limit,
    // so the refusal is import's (the bytes are no safetensors), not a transport error.
    const garbage = copyOfSt((d) =>
      fs.writeFileSync(path.join(d, 'model.safetensors'), Buffer.alloc(UPLOAD_CHUNK_BYTES * 2.5, 7)),
    );
    const g = await importOver(normal.client, chunksOf(garbage, ST_FILES));
    assert.equal(g.code, grpc.status.INVALID_ARGUMENT, g.details);
    assert.match(g.details, /model\.safetensors: /);
    assert.deepEqual(leftBehind(), []);
  });

  it('answers RESOURCE_EXHAUSTED past the byte limit', async () => {
    const r = await importOver(small.client, chunksOf(path.join(hf, 'st'), ST_FILES));
    assert.equal(r.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(r.details, new RegExp(`larger than ${MAX_BYTES_OF_SMALL_SERVER} bytes`));
    assert.deepEqual(leftBehind(), []);
  });

  it('removes what it received when the client cancels mid-stream', async () => {
    const call = normal.client.ImportTeacher!({ deadline: Date.now() + 60_000 }, () => {});
    call.on('error', () => {});
    call.write(chunksOf(path.join(hf, 'st'), ['config.json'])[0]);
    await until(() => leftBehind().length === 1, 'the received folder appears');
    call.cancel();
    await until(() => leftBehind().length === 0, 'the received folder is removed');
  });

  it('keeps its event loop free while it checks and converts a received folder', async () => {
    // The pickle parse, conversion and weights load run on a worker thread, so from the folder's
    // last byte to the answer the server's loop (this test's, in-process) is mostly idle. Run on
    // the loop itself they kept it 0.75 busy even for this small folder, against 0.05 off it: a
    // share of busy time, not a duration, so a slow machine moves both alike.
    const dir = path.join(hf, 'bin');
    const importing = importOver(normal.client, chunksOf(dir, BIN_FILES));
    await until(() => receivedWhole(dir, BIN_FILES), 'the folder is received');
    const start = performance.eventLoopUtilization();
    const imported = await importing;
    const { utilization } = performance.eventLoopUtilization(start);
    assert.equal(imported.code, grpc.status.OK, imported.details);
    assert.ok(utilization < 0.5, `the event loop was ${utilization.toFixed(2)} busy during the import`);
  });

  it('is a write: the read-only token gets PERMISSION_DENIED, the read-write one gets through', async () => {
    const api = await startSearchServer({
      temporalAddress: '127.0.0.1:1',
      connectTimeoutMs: 300,
      store,
      security: {
        auth: { readWrite: new Secret('teacher-rw-token'), readOnly: new Secret('teacher-ro-token') },
      },
      log: () => {},
    });
    const address = `127.0.0.1:${api.port}`;
    try {
      const messages = chunksOf(path.join(hf, 'st'), ST_FILES);
      const readOnly = searchClient(address, 'teacher-ro-token');
      const denied = await importOver(readOnly, messages);
      readOnly.close();
      assert.equal(denied.code, grpc.status.PERMISSION_DENIED, denied.details);
      assert.match(denied.details, /ImportTeacher/);
      const readWrite = searchClient(address, 'teacher-rw-token');
      const allowed = await importOver(readWrite, messages);
      readWrite.close();
      assert.equal(allowed.code, grpc.status.OK, allowed.details);
    } finally {
      await api.close();
    }
  });
});
