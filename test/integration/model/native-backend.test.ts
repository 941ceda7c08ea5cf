/**
 * The tfjs backend order (tensorflow > wasm > cpu) and reproducibility on the backend chosen.
 * With `npm run setup:native` the chosen backend is TensorFlow's native one; without it, wasm.
 * Either way, two processes training the same KD job with the same seed must agree bit for bit,
 * since a search's answer (its winner) is only reproducible if its trainings are.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const ROOT = path.resolve(__dirname, '..', '..', '..');

function nativeInstalled(): boolean {
  return spawnSync(process.execPath, ['-e', "require('@tensorflow/tfjs-node')"], { cwd: ROOT }).status === 0;
}

function run(): { backend: string; losses: number[] } {
  const out = spawnSync(process.execPath, ['--import', 'tsx', 'test/fixtures/kd-train-run.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, EFFICIENTBERT_BACKEND: '' },
  });
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout.trim().split('\n').pop()!) as { backend: string; losses: number[] };
}

describe('tfjs backend choice', () => {
  it('trains on tensorflow when tfjs-node is installed, else wasm, with the same losses on a repeat run', () => {
    const first = run();
    assert.equal(first.backend, nativeInstalled() ? 'tensorflow' : 'wasm');
    assert.equal(first.losses.length, 6);
    assert.ok(first.losses.every(Number.isFinite));
    const second = run();
    assert.deepEqual(second, first);
  });
});
