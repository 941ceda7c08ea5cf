import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig } from '../../../services/inference/config';

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
});
