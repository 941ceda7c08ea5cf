import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Prng } from '../../../efficientbert/core/prng';

describe('Prng', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const draw = (seed: number) => {
      const rng = Prng.fromSeed(seed);
      return Array.from({ length: 8 }, () => rng.nextUint32());
    };
    assert.deepEqual(draw(42), draw(42));
    assert.notDeepEqual(draw(42), draw(43));
  });

  it('resumes exactly from a saved state, as a checkpoint or continue-as-new would', () => {
    const rng = Prng.fromSeed(7);
    for (let i = 0; i < 5; i++) rng.next();
    const saved = JSON.parse(JSON.stringify(rng.state()));
    const expected = Array.from({ length: 5 }, () => rng.next());
    const resumed = Prng.fromState(saved);
    assert.deepEqual(
      Array.from({ length: 5 }, () => resumed.next()),
      expected,
    );
  });

  it('draws integers uniformly in range', () => {
    const rng = Prng.fromSeed(1);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60000; i++) counts[rng.int(6)]++;
    for (const c of counts) assert.ok(Math.abs(c - 10000) < 500, `bucket count ${c} is far from 10000`);
  });

  it('rejects bad arguments instead of returning garbage', () => {
    assert.throws(() => Prng.fromSeed(1.5), RangeError);
    assert.throws(() => Prng.fromSeed(1).int(0), RangeError);
    assert.throws(() => Prng.fromSeed(1).pick([]), RangeError);
  });

  it('shuffles deterministically into a permutation', () => {
    const a = Prng.fromSeed(3).shuffle([...Array(20).keys()]);
    const b = Prng.fromSeed(3).shuffle([...Array(20).keys()]);
    assert.deepEqual(a, b);
    assert.deepEqual(
      [...a].sort((x, y) => x - y),
      [...Array(20).keys()],
    );
  });
});
