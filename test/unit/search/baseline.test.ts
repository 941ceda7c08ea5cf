import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baselineArchitecture } from '../../../efficientbert/search/baseline';
import { countParameters } from '../../../efficientbert/space/params';
import { parseArchitecture } from '../../../efficientbert/space/parse';
import { PRESETS } from '../../../efficientbert/space/presets';

const params = (arch: string) => countParameters(PRESETS.tiny, parseArchitecture(arch));
const uniform = (size: string) =>
  Array.from({ length: PRESETS.tiny.layers }, () => `${size}(gelu(${size}(x,wb1)),wb2)`).join(', ');

describe('the baseline a winner is measured against', () => {
  it('is the smallest plain GELU model, one size in every layer, with at least the winner’s parameters', () => {
    const winner = [
      'linear3_2(mul(tanh(linear3_2(x,wb1)),x),wb2)',
      'linear2_1(max(linear2_1(x,wb1),gelu(x)),wb2)',
      ...Array.from({ length: PRESETS.tiny.layers - 2 }, () => 'linear1_1(relu(linear1_1(x,wb1)),wb2)'),
    ].join(', ');
    const baseline = baselineArchitecture('tiny', winner);
    const layers = baseline.split(', ');
    assert.equal(new Set(layers).size, 1, 'one size for all layers');
    assert.match(layers[0]!, /^(linear\d_\d)\(gelu\(\1\(x,wb1\)\),wb2\)$/);
    assert.ok(params(baseline) >= params(winner));
    // No smaller uniform plain model reaches the winner's count.
    for (const x of [1, 2, 3, 4])
      for (const y of [1, 2, 3, 4]) {
        const p = params(uniform(`linear${x}_${y}`));
        assert.ok(p < params(winner) || p >= params(baseline), `linear${x}_${y}`);
      }
  });

  it('is the plain version of a winner that is itself uniform and plain', () => {
    assert.equal(baselineArchitecture('tiny', uniform('linear2_3')), uniform('linear2_3'));
  });

  it('is the smallest plain model for a winner at the smallest size', () => {
    const tinyWinner = Array.from(
      { length: PRESETS.tiny.layers },
      () => 'linear1_4(relu(linear1_4(x,wb1)),wb2)',
    ).join(', ');
    assert.equal(baselineArchitecture('tiny', tinyWinner), uniform('linear1_4'));
  });
});
