import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArchitecture, parseLayer } from '../../../efficientbert/space/parse';
import { EFFICIENTBERT, PLAIN_SEEDS, STAGE1_BEST, STAGE2_BEST } from '../../../efficientbert/space/published';
import { treeHeight } from '../../../efficientbert/space/tree';
import { checkArchitecture, type RuleId, validateLayer } from '../../../efficientbert/space/validate';

describe('validity rules', () => {
  it('accepts every published architecture and seed', () => {
    for (const arch of [EFFICIENTBERT, STAGE1_BEST, STAGE2_BEST, { layers: PLAIN_SEEDS }]) {
      assert.deepEqual(checkArchitecture(arch, arch.layers.length), { ok: true });
    }
  });

  it('measures height as DEAP does (a lone terminal is 0)', () => {
    assert.equal(treeHeight({ kind: 'x' }), 0);
    assert.equal(treeHeight(PLAIN_SEEDS[0]!.expr), 3);
    assert.equal(treeHeight(EFFICIENTBERT.layers[3]!.expr), 5);
  });

  const invalid: [RuleId, string][] = [
    ['one-wb1', 'linear1_1(gelu(linear1_1(x,wb2)),wb2)'],
    ['one-wb1', 'linear1_1(gelu(linear1_1(linear1_1(x,wb1),wb1)),wb2)'],
    ['one-wb2', 'linear1_1(gelu(linear1_1(mul(linear1_1(x,wb1),x),wb2)),wb2)'],
    ['one-wb2', 'gelu(linear1_1(add(x,tanh(x)),wb1))'],
    ['wb1-first', 'linear1_2(gelu(linear1_2(x,wb2)),wb1)'],
    ['nested-linears', 'linear1_1(linear1_1(x,wb1),wb2)'],
    ['nested-linears', 'linear2_2(linear2_2(gelu(x),wb1),wb2)'],
    ['height', 'add(linear1_1(x,wb1),linear1_1(x,wb2))'],
    ['height', 'linear1_1(gelu(add(x,tanh(add(x,sigmoid(add(x,relu(linear1_1(x,wb1)))))))),wb2)'],
    ['consecutive-activations', 'linear1_1(gelu(relu(linear1_1(x,wb1))),wb2)'],
    ['consecutive-activations', 'tanh(elu(linear1_1(gelu(linear1_1(x,wb1)),wb2)))'],
    ['identical-operands', 'linear1_1(gelu(linear1_1(add(tanh(x),tanh(x)),wb1)),wb2)'],
    ['identical-operands', 'linear1_1(gelu(linear1_1(max(x,x),wb1)),wb2)'],
    ['widths', 'add(gelu(linear1_2(x,wb1)),gelu(linear1_2(x,wb2)))'],
    ['widths', 'max(gelu(linear1_3(x,wb1)),linear1_3(tanh(x),wb2))'],
  ];
  for (const [rule, text] of invalid) {
    it(`rejects ${text} under '${rule}'`, () => {
      const result = validateLayer(parseLayer(text));
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.rule, rule);
      assert.ok(!result.ok && result.message.length > 0);
    });
  }

  it('lets the two linears sit side by side only where I = H (ratio 1), as the reference runs them', () => {
    const sideBySide = 'mul(linear1_1(x,wb1),gelu(linear1_1(x,wb2)))';
    assert.deepEqual(validateLayer(parseLayer(sideBySide)), { ok: true });
    const result = validateLayer(parseLayer(sideBySide.replaceAll('linear1_1', 'linear1_2')));
    assert.equal(!result.ok && result.rule, 'widths');
  });

  it('names the failing layer and checks the layer count of architectures', () => {
    const arch = parseArchitecture(
      'linear1_1(gelu(linear1_1(x,wb1)),wb2), linear1_1(gelu(relu(linear1_1(x,wb1))),wb2)',
    );
    const result = checkArchitecture(arch);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.rule, 'consecutive-activations');
    assert.equal(!result.ok && result.layer, 1);
    assert.match(!result.ok ? result.message : '', /^layer 2: /);
    const count = checkArchitecture(EFFICIENTBERT, 4);
    assert.equal(!count.ok && count.rule, 'layer-count');
  });
});
