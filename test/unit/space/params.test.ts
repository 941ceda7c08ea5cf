import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countParameters } from '../../../efficientbert/space/params';
import { parseArchitecture } from '../../../efficientbert/space/parse';
import { PAPER_TINY, PRESETS } from '../../../efficientbert/space/presets';
import { EFFICIENTBERT, STAGE2_BEST } from '../../../efficientbert/space/published';

const paper = PRESETS.paper;

/** Closed form from the spec's model description, independent of weights.ts. */
function closedForm(h: number, layers: { stack: number; width: number }[]): number {
  const embedding = 30522 * 128 + (3 * 128 * h + h) + 512 * h + 2 * h + 2 * h;
  const attention = 4 * (h * h + h) + 2 * h;
  const ffnBlock = (i: number) => h * i + i + i * h + h + 2 * h;
  const fitDense = h * 768 + 768;
  return embedding + layers.reduce((n, l) => n + attention + l.stack * ffnBlock(l.width), 0) + fitDense;
}

describe('countParameters', () => {
  it('gives the published EfficientBERT 15.74 M (15.32 M without fit_dense)', () => {
    const n = countParameters(paper, EFFICIENTBERT);
    assert.equal(n, 15_737_724);
    assert.ok(Math.abs(n / 1e6 - 15.74) <= 0.01);
    assert.equal((countParameters(paper, EFFICIENTBERT, { fitDense: false }) / 1e6).toFixed(2), '15.32');
  });

  it('gives EfficientBERT_TINY 9.38 M and the supernet 25.9 M', () => {
    assert.equal((countParameters(PAPER_TINY, EFFICIENTBERT) / 1e6).toFixed(2), '9.38');
    assert.equal(countParameters(paper, 'supernet'), 25_875_324);
  });

  it('agrees with the closed form, e.g. stage-2 best ≈ 15.40 M and all-linear1_1 ≈ 15.34 M', () => {
    const sizes = [
      [4, 2],
      [2, 1],
      [1, 4],
      [4, 4],
      [1, 3],
      [2, 4],
    ];
    const expected = closedForm(
      540,
      sizes.map(([stack, ratio]) => ({ stack: stack!, width: Math.floor(540 / ratio!) })),
    );
    assert.equal(countParameters(paper, STAGE2_BEST), expected);
    assert.equal((expected / 1e6).toFixed(2), '15.40');
    const allOnes = parseArchitecture(Array(6).fill('linear1_1(gelu(linear1_1(x,wb1)),wb2)').join(', '));
    const n = countParameters(paper, allOnes);
    assert.equal(n, closedForm(540, Array(6).fill({ stack: 1, width: 540 })));
    assert.equal(n, 15_338_844);
  });
});
