import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import type { ServiceError } from '../../../../services/grpc/errors';
import {
  type BatchItem,
  type BatchingOptions,
  DynamicBatcher,
} from '../../../../services/inference/runtime/batcher';

interface Item extends BatchItem {
  id: string;
}

const item = (id: string, bucket = 'a', rows = 1, deadline = Number.POSITIVE_INFINITY): Item => ({
  id,
  rows,
  bucket,
  deadline,
  isCancelled: () => false,
});

/** A batcher on a hand-driven clock whose runner records batches and completes them on demand. */
function harness(options: Partial<BatchingOptions> = {}, concurrency = 1) {
  let now = 0;
  const batches: string[][] = [];
  const pending: Array<() => void> = [];
  const batcher = new DynamicBatcher<Item, string>(
    { enabled: true, maxBatchSize: 4, maxQueueDelayMs: 10, maxQueueSize: 8, ...options },
    concurrency,
    (items) => {
      batches.push(items.map((i) => i.id));
      return new Promise((resolve) => pending.push(() => resolve(items.map((i) => `done ${i.id}`))));
    },
    () => now,
  );
  return {
    batcher,
    batches,
    advance: (ms: number) => {
      now += ms;
      batcher.wake();
    },
    finishOne: async () => {
      pending.shift()!();
      await new Promise((r) => setImmediate(r));
    },
  };
}

describe('DynamicBatcher', () => {
  it('holds a partial batch until the queue delay, sending a full one at once', async () => {
    const h = harness();
    const first = h.batcher.submit([item('1'), item('2')]);
    assert.deepEqual(h.batches, []);
    h.advance(10);
    assert.deepEqual(h.batches, [['1', '2']]);
    await h.finishOne();
    assert.deepEqual(await Promise.all(first), ['done 1', 'done 2']);
    h.batcher.submit(['3', '4', '5', '6', '7'].map((id) => item(id)));
    assert.deepEqual(h.batches[1], ['3', '4', '5', '6']);
  });

  it('keeps buckets apart and takes the oldest ready bucket first', async () => {
    const h = harness({}, 1);
    h.batcher.submit([item('s1', 'short')]);
    h.advance(3);
    h.batcher.submit([item('l1', 'long'), item('s2', 'short')]);
    h.advance(7);
    assert.deepEqual(h.batches, [['s1', 's2']]);
    h.advance(3);
    await h.finishOne();
    assert.deepEqual(h.batches, [['s1', 's2'], ['l1']]);
  });

  it('never exceeds the maximum batch size in rows', () => {
    const h = harness({ maxQueueDelayMs: 0 });
    const promises = h.batcher.submit([item('a', 'a', 3), item('b', 'a', 2)]);
    assert.deepEqual(h.batches, [['a']]);
    assert.throws(
      () => h.batcher.submit([item('big', 'a', 5)]),
      (e: ServiceError) => e.code === status.INVALID_ARGUMENT,
    );
    void promises;
  });

  it('without a queue delay runs a lone item at once and batches what queued while busy', async () => {
    const h = harness({ maxQueueDelayMs: 0 });
    h.batcher.submit([item('1')]);
    assert.deepEqual(h.batches, [['1']]);
    h.batcher.submit([item('2')]);
    h.batcher.submit([item('3')]);
    assert.deepEqual(h.batches, [['1']]);
    await h.finishOne();
    assert.deepEqual(h.batches, [['1'], ['2', '3']]);
  });

  it('splits what waits between the sessions instead of giving it all to the first one free', async () => {
    const h = harness({ maxQueueDelayMs: 0, maxBatchSize: 8 }, 2);
    h.batcher.submit([item('a')]);
    h.batcher.submit([item('b')]);
    h.batcher.submit(['1', '2', '3', '4', '5', '6'].map((id) => item(id)));
    assert.deepEqual(h.batches, [['a'], ['b']]);
    await h.finishOne();
    assert.deepEqual(h.batches[2], ['1', '2', '3']);
    await h.finishOne();
    assert.deepEqual(h.batches[3], ['4', '5']);
  });

  it('runs items one by one in arrival order when disabled', async () => {
    const h = harness({ enabled: false });
    h.batcher.submit([item('1', 'x'), item('2', 'y'), item('3', 'x')]);
    assert.deepEqual(h.batches, [['1']]);
    await h.finishOne();
    await h.finishOne();
    assert.deepEqual(h.batches, [['1'], ['2'], ['3']]);
  });

  it('refuses a submission that would overflow the queue, all of it', () => {
    const h = harness({ maxQueueSize: 3, maxQueueDelayMs: 100 });
    h.batcher.submit([item('1'), item('2')]);
    assert.throws(
      () => h.batcher.submit([item('3'), item('4')]),
      (e: ServiceError) => e.code === status.UNAVAILABLE && e.message === 'Exceeds maximum queue size',
    );
    assert.equal(h.batcher.queued, 2);
  });

  it('drops items whose deadline passed before they ran', async () => {
    const h = harness({ maxQueueDelayMs: 100 });
    const [late] = h.batcher.submit([item('late', 'a', 1, 50)]);
    h.advance(60);
    await assert.rejects(
      late!,
      (e: ServiceError) => e.code === status.DEADLINE_EXCEEDED && e.message === 'Request timeout expired',
    );
    h.advance(100);
    assert.deepEqual(h.batches, []);
  });

  it('resolves whenIdle once queued and running work is done', async () => {
    const h = harness({ maxQueueDelayMs: 0 });
    h.batcher.submit([item('1')]);
    let idle = false;
    const waiting = h.batcher.whenIdle().then(() => (idle = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(idle, false);
    await h.finishOne();
    await waiting;
    assert.equal(idle, true);
  });
});
