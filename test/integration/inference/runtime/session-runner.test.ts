/**
 * The two ways a model version runs its sessions: one instance on the main thread, several on
 * worker threads. Both must answer the same feeds with the same outputs (ONNX Runtime against the
 * fixture's JS oracle), describe the same signature, and refuse work once closed.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InlineSession } from '../../../../services/inference/runtime/inline-session';
import { SessionPool } from '../../../../services/inference/runtime/session-pool';
import { createSessionRunner } from '../../../../services/inference/runtime/session-runner';
import type { Feeds } from '../../../../services/inference/runtime/worker-protocol';
import { type TinyClassifier, writeTinyClassifier } from '../../../fixtures/tiny-classifier';
import { tempRepository } from '../harness';

const IDS = [2, 7, 11, 13, 3, 0];
const MASK = [1, 1, 1, 1, 1, 0];
const TYPES = [0, 0, 0, 0, 0, 0];

function feeds(): Feeds {
  const t = (xs: number[]) => ({
    type: 'int64',
    dims: [1, xs.length],
    data: BigInt64Array.from(xs.map(BigInt)),
  });
  return { input_ids: t(IDS), attention_mask: t(MASK), token_type_ids: t(TYPES) };
}

describe('session runners: inline (1 instance) and worker pool (several)', () => {
  const repo = tempRepository();
  let fixture: TinyClassifier;
  let modelPath: string;

  before(() => {
    fixture = writeTinyClassifier(repo.dir, { name: 'sst2', version: 1, seed: 9 });
    modelPath = join(fixture.versionDir, 'model.onnx');
  });
  after(() => repo.remove());

  for (const instances of [1, 2]) {
    it(`${instances} instance(s): ${instances === 1 ? 'main thread' : 'worker threads'}, outputs equal the oracle`, async () => {
      const runner = await createSessionRunner(modelPath, {
        instances,
        providers: ['cpu'],
        intraOpThreads: 1,
      });
      try {
        assert.ok(instances === 1 ? runner instanceof InlineSession : runner instanceof SessionPool);
        assert.equal(runner.size, instances);
        assert.deepEqual(runner.description.providers, ['cpu']);
        assert.deepEqual(runner.description.inputs.map((i) => i.name).sort(), [
          'attention_mask',
          'input_ids',
          'token_type_ids',
        ]);
        const want = fixture.reference(IDS, TYPES, MASK);
        // Concurrent runs, more than the instances: each is answered with its own outputs.
        const results = await Promise.all(Array.from({ length: 5 }, () => runner.run(feeds())));
        for (const outputs of results) {
          const logits = outputs.logits;
          assert.deepEqual(logits!.dims, [1, want.length]);
          for (const [i, w] of want.entries())
            assert.ok(Math.abs(Number(logits!.data[i]) - w) < 1e-4, `${logits!.data[i]} vs ${w}`);
        }
      } finally {
        await runner.close();
      }
      await assert.rejects(runner.run(feeds()), /closed/);
    });
  }
});
