import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Connection } from '@temporalio/client';
import {
  devServerStatus,
  findTemporalBinary,
  INSTALL_HINT,
  startDevServer,
  stopDevServer,
} from '../../services/dev/temporal-dev';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../workflows/definitions';
import { freePort } from '../helpers/temporal-server';

describe('services/dev: the local Temporal dev server', { timeout: 180_000 }, () => {
  let root: string;
  before(async () => {
    root = await fs.mkdtemp(path.join(tmpdir(), 'eb-dev-'));
  });
  after(async () => {
    await stopDevServer(path.join(root, 'a')).catch(() => undefined);
    await fs.rm(root, { recursive: true, force: true });
  });

  it('says how to install the CLI when it is missing', () => {
    assert.throws(
      () => findTemporalBinary({ PATH: '' }),
      (err: Error) => err.message.includes(INSTALL_HINT),
    );
    assert.match(findTemporalBinary(), /temporal$/);
  });

  it('starts once, reuses the running server, registers search attributes, stops', async () => {
    const stateDir = path.join(root, 'a');
    const port = await freePort();
    const first = await startDevServer({ stateDir, port });
    assert.equal(first.reused, false);
    assert.ok(first.pid);
    const second = await startDevServer({ stateDir, port });
    assert.equal(second.reused, true);
    assert.equal(second.pid, first.pid);
    // Another state dir pointed at the busy port reuses the server instead of failing.
    const third = await startDevServer({ stateDir: path.join(root, 'b'), port });
    assert.equal(third.reused, true);
    assert.deepEqual(await devServerStatus(stateDir).then((s) => [s.running, s.healthy]), [true, true]);
    const connection = await Connection.connect({ address: first.address });
    const { customAttributes } = await connection.operatorService.listSearchAttributes({
      namespace: 'default',
    });
    await connection.close();
    for (const name of Object.keys(CUSTOM_SEARCH_ATTRIBUTES))
      assert.ok(customAttributes && name in customAttributes);
    assert.equal(await stopDevServer(stateDir), true);
    assert.deepEqual(await devServerStatus(stateDir).then((s) => s.running), false);
    // State survives: a restart on the same SQLite file serves again.
    const again = await startDevServer({ stateDir, port });
    assert.equal(again.reused, false);
    assert.equal(await stopDevServer(stateDir), true);
  });
});
