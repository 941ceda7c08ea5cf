import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateModelConfig } from '../../../../services/inference/repository/model-config';

const valid = {
  task: 'classification',
  labels: ['negative', 'positive'],
  maxSeqLength: 128,
  tokenizer: 'tokenizer/',
  architecture: 'EfficientBERT',
  metrics: { accuracy: 0.9 },
};

describe('validateModelConfig', () => {
  it('accepts a complete model.json', () => {
    assert.deepEqual(validateModelConfig(valid), valid);
    assert.deepEqual(validateModelConfig({ ...valid, task: 'regression', labels: ['score'] }).labels, [
      'score',
    ]);
  });

  it('names the offending field', () => {
    const cases: Array<[object, RegExp]> = [
      [{ ...valid, task: 'ranking' }, /'task'/],
      [{ ...valid, labels: ['only'] }, /'labels'/],
      [{ ...valid, labels: ['a', 'a'] }, /'labels'/],
      [{ ...valid, labels: 'a,b' }, /'labels'/],
      [{ ...valid, maxSeqLength: 1.5 }, /'maxSeqLength'/],
      [{ ...valid, tokenizer: '../../etc' }, /'tokenizer'/],
      [{ ...valid, tokenizer: '/abs' }, /'tokenizer'/],
      [{ ...valid, architecture: 3 }, /'architecture'/],
      [{ ...valid, metrics: { accuracy: 'high' } }, /'metrics'/],
      [{ ...valid, task: 'regression', labels: ['a', 'b'] }, /'labels'/],
    ];
    for (const [config, field] of cases) assert.throws(() => validateModelConfig(config), field);
    assert.throws(() => validateModelConfig([]), /root/);
  });
});
