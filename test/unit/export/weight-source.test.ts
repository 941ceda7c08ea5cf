import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkedWeights, weightMapOf } from '../../../efficientbert/export/weight-source';

describe('weight sources', () => {
  const shapes = new Map([
    ['a.kernel', [2, 3]],
    ['a.bias', [3]],
  ]);

  it('reads the weights the shapes name, from ParamStore.toArrays()-style entries', () => {
    const weights = weightMapOf(
      new Map([
        ['a.kernel', { shape: [2, 3], data: new Float32Array(6).fill(1) }],
        ['a.bias', { shape: [3], data: Float32Array.of(1, 2, 3) }],
        ['unused', { shape: [1], data: new Float32Array(1) }],
      ]),
    );
    const w = checkedWeights(weights, shapes);
    assert.deepEqual([...w('a.bias')], [1, 2, 3]);
    assert.throws(() => w('unused'), /not part of this model/);
  });

  it('names the weight that is missing or has the wrong size', () => {
    assert.throws(
      () => checkedWeights(new Map([['a.kernel', new Float32Array(6)]]), shapes),
      /'a.bias' \[3\] is missing/,
    );
    assert.throws(
      () =>
        checkedWeights(
          new Map([
            ['a.kernel', new Float32Array(5)],
            ['a.bias', new Float32Array(3)],
          ]),
          shapes,
        ),
      /'a.kernel' has 5 values, shape \[2,3\] needs 6/,
    );
  });
});
