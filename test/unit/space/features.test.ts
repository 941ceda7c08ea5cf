import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  architectureFeatures,
  layerFeatures,
  PRIMITIVE_INDEX,
  sizeFeatures,
} from '../../../efficientbert/space/features';
import { parseLayer } from '../../../efficientbert/space/parse';
import { EFFICIENTBERT, PLAIN_SEEDS } from '../../../efficientbert/space/published';

describe('classifier features', () => {
  it('writes a layer in prefix order, padded with -1 to 20 tokens', () => {
    const f = layerFeatures(PLAIN_SEEDS[0]!);
    const id = (t: string) => PRIMITIVE_INDEX[t]!;
    assert.deepEqual(f.slice(0, 6), [
      id('linear1_1'),
      id('gelu'),
      id('linear1_1'),
      id('x'),
      id('wb1'),
      id('wb2'),
    ]);
    assert.deepEqual(f.slice(6), new Array(14).fill(-1));
    const generic = layerFeatures(PLAIN_SEEDS[0]!, { genericLinear: true });
    assert.equal(generic[0], id('linear'));
  });

  it('has a distinct index per primitive', () => {
    const ids = Object.values(PRIMITIVE_INDEX);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(ids.length, 3 + 3 + 7 + 1 + 16);
  });

  it('has a fixed length, truncating trees longer than the pad length', () => {
    assert.equal(architectureFeatures(EFFICIENTBERT).length, 120);
    assert.equal(architectureFeatures(EFFICIENTBERT, { padLength: 32 }).length, 192);
    const big = parseLayer(
      'linear1_1(gelu(linear1_1(add(mul(add(x,tanh(x)),max(x,relu(x))),add(max(x,elu(x)),mul(x,swish(x)))),wb1)),wb2)',
    );
    const f = layerFeatures(big);
    assert.equal(f.length, 20);
    assert.ok(!f.includes(-1));
    assert.deepEqual(f.slice(0, 4), [
      PRIMITIVE_INDEX.linear1_1,
      PRIMITIVE_INDEX.gelu,
      PRIMITIVE_INDEX.linear1_1,
      PRIMITIVE_INDEX.add,
    ]);
  });

  it('stage 3 features are the linear indices 0-15', () => {
    assert.deepEqual(sizeFeatures(EFFICIENTBERT), [13, 4, 1, 5, 1, 6]);
    assert.deepEqual(
      sizeFeatures({ layers: PLAIN_SEEDS }),
      Array.from({ length: 16 }, (_, i) => i),
    );
  });
});
