/**
 * `efficientbert models withdraw NAME VERSION` against a real artifact store: it records the
 * withdrawal that inference servers in store mode act on (their side:
 * test/integration/inference/repository/store-repository.test.ts), and refuses what it cannot do.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  DirArtifactStore,
  MODEL_REGISTRY_LOG,
  readModelRegistry,
  readPublishedModels,
} from '../../efficientbert/artifacts';
import { runCli } from './cli-process';

describe('efficientbert models withdraw', () => {
  let root: string;
  let store: DirArtifactStore;

  before(async () => {
    root = await fs.mkdtemp(path.join(tmpdir(), 'eb-withdraw-'));
    store = new DirArtifactStore(path.join(root, 'store'));
    const ref = await store.putJson({ kind: 'efficientbert.dir-manifest', version: 1, entries: [] });
    for (const version of [1, 2])
      await store.appendLog(MODEL_REGISTRY_LOG, { name: 'sst2', version, ref, searchId: 's1' });
  });
  after(() => fs.rm(root, { recursive: true, force: true }));

  const withdraw = (...args: string[]) =>
    runCli(['models', 'withdraw', ...args], { env: { EFFICIENTBERT_ARTIFACTS: store.location } });

  it('records the withdrawal with its reason; the version is no longer served; twice is a no-op', async () => {
    const r = await withdraw('sst2', '2', '--reason', 'worse on our data', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      name: 'sst2',
      version: 2,
      withdrawn: true,
      store: store.location,
    });
    assert.deepEqual(
      (await readPublishedModels(store)).map((m) => m.version),
      [1],
    );
    assert.deepEqual((await readModelRegistry(store)).withdrawn[0]?.reason, 'worse on our data');
    const again = await withdraw('sst2', '2', '--reason', 'again');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already withdrawn/);
  });

  it('refuses a version never published (exit 1), and a missing reason or bad version (exit 2)', async () => {
    const unknown = await withdraw('sst2', '7', '--reason', 'typo');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /model 'sst2' version 7 was never published/);
    const noReason = await withdraw('sst2', '1');
    assert.equal(noReason.code, 2);
    assert.match(noReason.stderr, /--reason is required/);
    const badVersion = await withdraw('sst2', 'latest', '--reason', 'x');
    assert.equal(badVersion.code, 2);
    assert.match(badVersion.stderr, /version must be a non-negative integer/);
    assert.deepEqual(
      (await readPublishedModels(store)).map((m) => m.version),
      [1],
    );
  });
});
