/**
 * The ONNX Runtime CUDA provider installed from PyPI (`npm run setup:gpu`), on a machine without a
 * GPU: the real server, started through its launcher with `--providers cuda,cpu`, must find the
 * provider and the CUDA libraries and fail CUDA only for lack of a driver/device, then serve on
 * CPU with that reason logged. Not a GPU check: it runs on every CPU machine, CI included.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cudaLibraryDirs, missingOrtProviders, ortBinaryDir } from '../../../efficientbert/native/paths';
import { writeTinyClassifier } from '../../fixtures/tiny-classifier';
import { clients, tempRepository } from './harness';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Starts services/inference/main.ts as a user would; resolves once it prints its port. */
async function startServerProcess(
  repository: string,
  stderr: string[],
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'services/inference/main.ts',
      '--repository',
      repository,
      '--host',
      '127.0.0.1',
    ].concat([
      '--port',
      '0',
      '--metrics-port',
      'off',
      '--providers',
      'cuda,cpu',
      '--instances',
      '1',
      '--intra-op-threads',
      '1',
    ]),
    // The test process's own library path must not help: the launcher has to set it.
    { cwd: ROOT, env: { ...process.env, LD_LIBRARY_PATH: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  let stdout = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n').find((l) => l.includes('"listening"'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}:\n${stderr.join('')}`)));
  });
  return { child, port };
}

describe('ORT CUDA provider from PyPI on a CPU machine', () => {
  const repo = tempRepository();
  const stderr: string[] = [];
  let server: { child: ChildProcess; port: number } | undefined;

  before(() => {
    writeTinyClassifier(repo.dir, { name: 'sst2', version: 1, seed: 4 });
  });

  after(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await once(server.child, 'exit');
    }
    repo.remove();
  });

  it('has the provider libraries where onnxruntime-node loads them, and the CUDA libraries', () => {
    const missing = missingOrtProviders();
    assert.deepEqual(
      missing,
      [],
      `${missing.join(', ')} missing from ${ortBinaryDir()}: run \`npm run setup:gpu\` (installs the CUDA provider from PyPI onnxruntime-gpu)`,
    );
    assert.ok(
      cudaLibraryDirs().length > 0,
      'no CUDA libraries under .efficientbert/native/cuda13: run `npm run setup:gpu`',
    );
  });

  it('fails cuda for lack of a driver/device (not a missing library), serves on cpu and logs why', async () => {
    server = await startServerProcess(repo.dir, stderr);
    const c = clients(server.port);
    try {
      const info = await c.classify.call('GetModel', { name: 'sst2' });
      assert.equal(info.execution_provider, 'cpu');
      const res = await c.classify.call('Classify', { model_name: 'sst2', inputs: [{ text: 'fine' }] });
      assert.equal(res.results.length, 1);
    } finally {
      for (const client of Object.values(c)) client.close();
    }
    const log = stderr.join('');
    const line = log
      .split('\n')
      .find((l) => /sst2 version 1: execution providers \[cuda, cpu\] unavailable/.test(l));
    assert.ok(line, `no fallback line in the server log:\n${log}`);
    assert.match(line, /libonnxruntime_providers_cuda\.so found/);
    assert.match(line, /no NVIDIA driver on this machine \(libcuda\.so\.1 not found/);
    assert.doesNotMatch(line, /not installed|not on the library path/);
    assert.match(line, /; using cpu$/);
    server.child.kill('SIGTERM');
    const [code] = await once(server.child, 'exit');
    assert.equal(code, 0);
  });
});
