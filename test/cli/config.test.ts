import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UsageError } from '../../services/cli/command';
import { CONFIG_FILE, resolveConfig } from '../../services/cli/config';

describe('CLI configuration', () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(tmpdir(), 'eb-cli-config-'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('has defaults, with models and artifacts inside the state folder', () => {
    const c = resolveConfig({}, {}, dir);
    assert.equal(c.searchAddress, '127.0.0.1:50052');
    assert.equal(c.inferenceAddress, '127.0.0.1:8001');
    assert.equal(c.temporalAddress, '127.0.0.1:7233');
    assert.equal(c.temporalUiPort, 8233);
    assert.equal(c.trainer, 'kd');
    assert.equal(c.stateDir, path.join(dir, '.efficientbert'));
    assert.equal(c.modelsDir, path.join(dir, '.efficientbert', 'models'));
    assert.equal(c.artifactsDir, path.join(dir, '.efficientbert', 'artifacts'));
    assert.equal(c.dataDir, '');
  });

  it('takes flags over environment over the config file over defaults', async () => {
    await fs.writeFile(
      path.join(dir, CONFIG_FILE),
      JSON.stringify({
        searchAddress: 'file:1',
        inferenceAddress: 'file:2',
        trainer: 'fake',
        stateDir: 'state',
      }),
    );
    const env = { EFFICIENTBERT_SEARCH_ADDRESS: 'env:1', EFFICIENTBERT_INFERENCE_ADDRESS: 'env:2' };
    const c = resolveConfig({ 'search-address': 'flag:1' }, env, dir);
    assert.equal(c.searchAddress, 'flag:1');
    assert.equal(c.inferenceAddress, 'env:2');
    assert.equal(c.trainer, 'fake');
    assert.equal(c.temporalAddress, '127.0.0.1:7233');
    // Relative paths in the file are relative to the file; the derived ones follow the state folder.
    assert.equal(c.stateDir, path.join(dir, 'state'));
    assert.equal(c.modelsDir, path.join(dir, 'state', 'models'));
    await fs.rm(path.join(dir, CONFIG_FILE));
  });

  it('reads the file named by --config or EFFICIENTBERT_CONFIG, relative paths against that file', async () => {
    const sub = path.join(dir, 'conf');
    await fs.mkdir(sub, { recursive: true });
    await fs.writeFile(path.join(sub, 'eb.json'), JSON.stringify({ modelsDir: 'm', temporalUiPort: 9999 }));
    const byFlag = resolveConfig({ config: 'conf/eb.json' }, {}, dir);
    assert.equal(byFlag.modelsDir, path.join(sub, 'm'));
    assert.equal(byFlag.temporalUiPort, 9999);
    const byEnv = resolveConfig({}, { EFFICIENTBERT_CONFIG: path.join(sub, 'eb.json') }, '/');
    assert.equal(byEnv.modelsDir, path.join(sub, 'm'));
  });

  it('rejects unknown keys, bad JSON, a missing --config file and bad ports with usage errors', async () => {
    await fs.writeFile(path.join(dir, 'bad-key.json'), JSON.stringify({ searchAdress: 'x' }));
    assert.throws(
      () => resolveConfig({ config: 'bad-key.json' }, {}, dir),
      (e: unknown) => {
        assert.ok(e instanceof UsageError);
        assert.match(e.message, /unknown key 'searchAdress'/);
        return true;
      },
    );
    await fs.writeFile(path.join(dir, 'bad.json'), '{');
    assert.throws(() => resolveConfig({ config: 'bad.json' }, {}, dir), /is not JSON/);
    assert.throws(() => resolveConfig({ config: 'missing.json' }, {}, dir), /cannot read config file/);
    assert.throws(
      () => resolveConfig({}, { EFFICIENTBERT_TEMPORAL_UI_PORT: 'eighty' }, dir),
      /EFFICIENTBERT_TEMPORAL_UI_PORT: temporalUiPort must be a port number/,
    );
  });
});
