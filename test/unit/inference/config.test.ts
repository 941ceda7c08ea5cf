import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_ARTIFACTS } from '../../../efficientbert/artifacts';
import { ConfigError, DEFAULT_MODEL_CACHE, parseConfig } from '../../../services/inference/config';

describe('inference server configuration', () => {
  it('uses Triton-like defaults', () => {
    const config = parseConfig(['--repository', '/models'], {});
    assert.ok(config !== 'help');
    assert.equal(config.port, 8001);
    assert.equal(config.metricsPort, 8002);
    assert.deepEqual(config.providers, ['cpu']);
    assert.ok(config.batching.enabled);
    // No queue delay, as in Triton: a lone request never waits for company.
    assert.equal(config.batching.maxQueueDelayMs, 0);
  });

  it('reads flags, then EFFICIENTBERT_INFERENCE_* variables', () => {
    const config = parseConfig(
      [
        '--repository',
        '/models',
        '--providers',
        'cuda,cpu',
        '--dynamic-batching',
        'off',
        '--metrics-port',
        'off',
      ],
      { EFFICIENTBERT_INFERENCE_MAX_QUEUE_SIZE: '7', EFFICIENTBERT_INFERENCE_PROVIDERS: 'cpu' },
    );
    assert.ok(config !== 'help');
    assert.deepEqual(config.providers, ['cuda', 'cpu']);
    assert.equal(config.batching.enabled, false);
    assert.equal(config.batching.maxQueueSize, 7);
    assert.equal(config.metricsPort, null);
  });

  it('rejects bad values and a missing repository', () => {
    assert.throws(() => parseConfig([], {}), ConfigError);
    assert.throws(() => parseConfig(['--repository', 'r', '--port', '-1'], {}), /--port/);
    assert.throws(
      () => parseConfig(['--repository', 'r', '--dynamic-batching', 'maybe'], {}),
      /--dynamic-batching/,
    );
    assert.throws(() => parseConfig(['--repository', 'r', '--bogus'], {}));
  });

  it('store mode: serves a local cache pulled from the artifact store the workers publish to', () => {
    const fromEnv = parseConfig(['--repository', 'store'], {
      EFFICIENTBERT_ARTIFACTS: 's3://bucket/artifacts',
      EFFICIENTBERT_INFERENCE_MODEL_CACHE: '/var/cache/models',
    });
    assert.ok(fromEnv !== 'help');
    assert.equal(fromEnv.modelStore, 's3://bucket/artifacts');
    assert.equal(fromEnv.repository, '/var/cache/models');
    const flags = parseConfig(
      ['--repository', 'store', '--artifacts', '/srv/artifacts', '--model-cache', 'cache'],
      { EFFICIENTBERT_ARTIFACTS: 's3://bucket/artifacts' },
    );
    assert.ok(flags !== 'help');
    assert.equal(flags.modelStore, '/srv/artifacts');
    assert.equal(flags.repository, 'cache');
    const defaults = parseConfig(['--repository', 'store'], {});
    assert.ok(defaults !== 'help');
    assert.equal(defaults.modelStore, DEFAULT_ARTIFACTS);
    assert.equal(defaults.repository, DEFAULT_MODEL_CACHE);
    // A directory repository ignores the store-mode settings an image may set for both modes.
    const dir = parseConfig(['--repository', '/models'], { EFFICIENTBERT_INFERENCE_MODEL_CACHE: '/c' });
    assert.ok(dir !== 'help');
    assert.equal(dir.repository, '/models');
    assert.equal(dir.modelStore, null);
  });
});
