import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { writeTinyClassifier } from '../../fixtures/tiny-classifier';
import { clients, fetchMetrics, rejection, sleep, tempRepository } from './harness';

const MAIN = join(__dirname, '..', '..', '..', 'services', 'inference', 'main.ts');

async function queuedRequests(port: number): Promise<number> {
  const text = await fetchMetrics(port);
  return Number(/efficientbert_inference_queue_size\{model="sst2"\} (\d+)/.exec(text)?.[1] ?? 0);
}

describe('graceful shutdown of the server process', () => {
  const repo = tempRepository();
  let child: ChildProcess | null = null;

  after(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    repo.remove();
  });

  it('on SIGTERM reports NOT_SERVING, refuses new work, answers queued requests and exits 0', async () => {
    writeTinyClassifier(repo.dir, { name: 'sst2', version: 1, seed: 1 });
    child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        MAIN,
        '--repository',
        repo.dir,
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--metrics-port',
        '0',
        '--instances',
        '1',
        '--max-batch-size',
        '64',
        '--max-queue-delay-ms',
        '600',
        '--shutdown-grace-ms',
        '300',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const proc = child;
    let stderr = '';
    proc.stderr!.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    const listening = await new Promise<{ port: number; metricsPort: number }>((resolve, reject) => {
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        const event = JSON.parse(line);
        if (event.event === 'listening') resolve(event);
      });
      proc.on('exit', () => reject(new Error(`server exited early: ${stderr}`)));
    });
    const c = clients(listening.port);
    try {
      assert.deepEqual(await c.health.call('Check', { service: '' }), { status: 'SERVING' });
      // 20 requests wait in the batching queue (600 ms delay) when SIGTERM arrives.
      const inFlight = Array.from({ length: 20 }, (_, i) =>
        c.classify.call('Classify', { model_name: 'sst2', inputs: [{ text: `request ${i}` }] }),
      );
      while ((await queuedRequests(listening.metricsPort)) < 20) await sleep(10);
      proc.kill('SIGTERM');
      await sleep(100);
      assert.deepEqual(await c.health.call('Check', { service: '' }), { status: 'NOT_SERVING' });
      assert.deepEqual(await c.oip.call('ServerReady', {}), { ready: false });
      const refused = await rejection(
        c.classify.call('Classify', { model_name: 'sst2', inputs: [{ text: 'late' }] }),
      );
      assert.equal(refused.code, grpc.status.UNAVAILABLE);
      const answers = await Promise.all(inFlight);
      assert.equal(answers.length, 20);
      for (const a of answers) assert.equal(a.results.length, 1);
      assert.equal(await exited, 0, stderr);
    } finally {
      for (const client of Object.values(c)) client.close();
    }
  });
});
