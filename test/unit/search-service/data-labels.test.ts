import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dataFromPb, dataToPb, type PbDataSpec } from '../../../services/search/data';

const REF = `sha256:${'a'.repeat(64)}`;

function pb(overrides: Partial<PbDataSpec> = {}): PbDataSpec {
  return {
    name: 'topic',
    kind: 'classification',
    train: { ref: REF, format: 'csv', filename: 'train.csv' },
    dev: { ref: REF, format: 'csv', filename: 'dev.csv' },
    text_column: '',
    text_pair_column: '',
    label_column: '',
    labels: [],
    ...overrides,
  };
}

describe('DataSpec.labels on the wire', () => {
  it('carries a label order both ways, and leaves it unset when none is given', () => {
    const { data, errors } = dataFromPb(pb({ labels: ['weather', 'sports', 'cooking'] }));
    assert.deepEqual(errors, []);
    assert.deepEqual(data?.labels, ['weather', 'sports', 'cooking']);
    assert.deepEqual(dataToPb(data!).labels, ['weather', 'sports', 'cooking']);
    assert.equal(dataFromPb(pb()).data?.labels, undefined);
  });

  it('refuses a bad label list, naming spec.data.labels', () => {
    const cases: [Partial<PbDataSpec>, RegExp][] = [
      [{ labels: ['a', 'b'], kind: 'regression' }, /classification only/],
      [{ labels: ['only'] }, /at least 2, got 1/],
      [{ labels: ['a', ' b'] }, /without leading or trailing spaces/],
      [{ labels: ['a', ''] }, /non-empty/],
      [{ labels: ['a', 'b', 'a'] }, /distinct/],
    ];
    for (const [overrides, pattern] of cases) {
      const { data, errors } = dataFromPb(pb(overrides));
      assert.equal(data, undefined, JSON.stringify(overrides));
      assert.equal(errors[0]?.field, 'spec.data.labels');
      assert.match(errors[0]!.message, pattern);
    }
  });
});
