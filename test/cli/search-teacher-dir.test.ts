/**
 * `efficientbert search start --teacher-dir DIR`, as a user runs it: the CLI imports the folder
 * through the real ImportTeacher handler (real store) and starts the search with the ref it
 * answered. StartSearch is a recorder here (no Temporal), so the test sees the exact spec sent.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { DirArtifactStore } from '../../efficientbert/artifacts';
import { selectBackend } from '../../efficientbert/model/backend';
import { importTeacher } from '../../efficientbert/model/teacher-import';
import { serviceDefinition } from '../../services/grpc/protos';
import { loadSearchProtos, SEARCH_SERVICE } from '../../services/search/protos';
import { teacherImportHandlers } from '../../services/search/teacher-import';
import { makeHfBertFolders } from '../helpers/hf-bert-folder';
import { runCli } from './cli-process';

interface StartRequest {
  request_id: string;
  spec: { teacher_ref: string; preset: string };
}

describe('efficientbert search start --teacher-dir', { timeout: 120_000 }, () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'eb-cli-teacher-'));
  const hf = path.join(work, 'hf');
  const store = new DirArtifactStore(path.join(work, 'store'));
  const server = new grpc.Server();
  const started: StartRequest[] = [];
  let imports = 0;
  let env: Record<string, string>;

  before(async () => {
    makeHfBertFolders(hf);
    const handlers = teacherImportHandlers(store);
    server.addService(serviceDefinition(loadSearchProtos(), SEARCH_SERVICE), {
      ImportTeacher: (call: grpc.ServerReadableStream<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        imports++;
        handlers.ImportTeacher(call as Parameters<typeof handlers.ImportTeacher>[0], cb);
      },
      StartSearch: (call: grpc.ServerUnaryCall<StartRequest, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        started.push(call.request);
        cb(null, { search_id: 'search-teacher-dir', created: true });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    env = { EFFICIENTBERT_SEARCH_ADDRESS: `127.0.0.1:${port}` };
  });

  beforeEach(() => {
    started.length = 0;
    imports = 0;
  });

  after(() => {
    server.forceShutdown();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('imports the folder and starts the search with its ref', async () => {
    const dir = path.join(hf, 'bin');
    await selectBackend('cpu', () => {});
    const { ref } = await importTeacher(dir, new DirArtifactStore(path.join(work, 'local-store')));
    const r = await runCli(['search', 'start', '--teacher-dir', dir, '--preset', 'tiny', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(started.length, 1);
    assert.equal(started[0]!.spec.teacher_ref, ref);
    assert.ok(await store.has(ref), 'the teacher is in the service’s store');
    assert.equal((JSON.parse(r.stdout) as { search_id: string }).search_id, 'search-teacher-dir');
    assert.ok(r.stderr.includes(ref), 'the imported ref is reported');
  });

  it('refuses --teacher with --teacher-dir (exit 2) before importing or starting anything', async () => {
    const r = await runCli(
      ['search', 'start', '--teacher', `sha256:${'0'.repeat(64)}`, '--teacher-dir', path.join(hf, 'st')],
      { env },
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--teacher and --teacher-dir/);
    assert.equal(imports, 0);
    assert.equal(started.length, 0);
  });

  it('does not start a search when the service refuses the folder (exit 1, naming the file)', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'gpt2-'));
    fs.cpSync(path.join(hf, 'st'), dir, { recursive: true });
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as object;
    fs.writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ ...config, architectures: ['GPT2LMHeadModel'] }),
    );
    const r = await runCli(['search', 'start', '--teacher-dir', dir], { env });
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /INVALID_ARGUMENT: teacher folder refused: config\.json: architecture 'GPT2LMHeadModel'/,
    );
    assert.equal(imports, 1);
    assert.equal(started.length, 0);
  });
});
