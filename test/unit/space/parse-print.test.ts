import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LINEAR_NAMES } from '../../../efficientbert/space/linear-names';
import { ParseError, parseArchitecture, parseExpr, parseLayer } from '../../../efficientbert/space/parse';
import { mathExpr, printArchitecture, printLayer } from '../../../efficientbert/space/print';
import {
  EFFICIENTBERT,
  EFFICIENTBERT_TEXT,
  PLAIN_SEEDS,
  STAGE1_BEST_TEXT,
  STAGE2_BEST_TEXT,
} from '../../../efficientbert/space/published';

describe('token form', () => {
  it('round-trips the six published expressions and the stage-1/2 bests', () => {
    for (const text of [EFFICIENTBERT_TEXT, STAGE1_BEST_TEXT, STAGE2_BEST_TEXT]) {
      for (const layer of text.split(', ')) assert.equal(printLayer(parseLayer(layer)), layer);
      assert.equal(printArchitecture(parseArchitecture(text)), text);
    }
  });

  it('round-trips the 16 plain GELU seeds, one per size in LINEAR_NAMES order', () => {
    assert.equal(PLAIN_SEEDS.length, 16);
    PLAIN_SEEDS.forEach((seed, i) => {
      const text = `${LINEAR_NAMES[i]}(gelu(${LINEAR_NAMES[i]}(x,wb1)),wb2)`;
      assert.equal(printLayer(seed), text);
      assert.deepEqual(parseLayer(text), seed);
    });
  });

  it('reads sizes from linearX_Y: X is the stack, Y the ratio divisor', () => {
    const layer = parseLayer('linear4_2(gelu(linear4_2(x,wb1)),wb2)');
    assert.equal(layer.stack, 4);
    assert.equal(layer.ratio, 2);
  });

  it('tolerates whitespace and normalizes it away', () => {
    const layer = parseLayer('  linear2_2 ( gelu ( linear2_2 ( max ( x , tanh( x ) ) ,wb1 ) ),\twb2 )\n');
    assert.equal(printLayer(layer), 'linear2_2(gelu(linear2_2(max(x,tanh(x)),wb1)),wb2)');
    assert.equal(parseArchitecture(`${EFFICIENTBERT_TEXT.replaceAll(', ', ' ,\n  ')}`).layers.length, 6);
  });

  it('takes the size of a generic `linear` from the caller', () => {
    assert.deepEqual(parseLayer('linear(gelu(linear(x,wb1)),wb2)', { stack: 1, ratio: 3 }), PLAIN_SEEDS[2]);
    const arch = parseArchitecture('linear(gelu(linear(x,wb1)),wb2), linear(relu(linear(x,wb1)),wb2)', [
      { stack: 2, ratio: 1 },
      { stack: 3, ratio: 4 },
    ]);
    assert.equal(
      printArchitecture(arch),
      'linear2_1(gelu(linear2_1(x,wb1)),wb2), linear3_4(relu(linear3_4(x,wb1)),wb2)',
    );
    assert.equal(parseExpr('linear(gelu(linear(x,wb1)),wb2)').size, undefined);
    assert.throws(() => parseLayer('linear(gelu(linear(x,wb1)),wb2)'), /needs the layer's size/);
    assert.throws(
      () => parseLayer('linear1_1(gelu(linear1_1(x,wb1)),wb2)', { stack: 2, ratio: 2 }),
      /contradicts/,
    );
  });

  it('reports syntax errors with their position', () => {
    const cases: [string, RegExp, number][] = [
      ['linear1_1(gelu(linear1_2(x,wb1)),wb2)', /does not match the earlier linear1_1/, 15],
      ['linear1_1(gelu(linear(x,wb1)),wb2)', /does not match/, 15],
      ['linear1_1(gelu(linear1_1(x,wb1)),x)', /must be 'wb1' or 'wb2', not 'x'/, 33],
      ['add(wb1,x)', /'wb1' may only be the second argument of a linear/, 4],
      ['softmax(x)', /unknown name 'softmax'/, 0],
      ['gelu(x', /expected '\)' in gelu\(\.\.\.\), got the end of the text/, 6],
      ['gelu(x) x', /unexpected 'x' after the end/, 8],
      ['gelu(x;)', /unexpected character ';'/, 6],
      ['add(x)', /expected ',' in add/, 5],
      ['', /expected an expression, got the end/, 0],
    ];
    for (const [text, message, position] of cases) {
      assert.throws(
        () => parseExpr(text),
        (err: unknown) => {
          assert.ok(err instanceof ParseError, text);
          assert.match(err.message, message, text);
          assert.equal(err.position, position, text);
          assert.match(err.message, new RegExp(`at column ${position + 1}$`));
          return true;
        },
      );
    }
  });

  it('names the layer and the column within the whole text for architecture errors', () => {
    assert.throws(
      () => parseArchitecture('linear1_1(gelu(linear1_1(x,wb1)),wb2), linear1_1(gelu(linear1_1(x,wb1)),wb3)'),
      (err: unknown) => err instanceof ParseError && /^layer 2: /.test(err.message) && err.position === 72,
    );
  });

  it('prints the math form with ⊙ for mul and W1/W2 for the linears', () => {
    const math = EFFICIENTBERT.layers.map((l) => mathExpr(l.expr));
    assert.deepEqual(math, [
      'tanh(W2·gelu(W1·x))',
      'elu(W2·gelu(W1·x))',
      'sigmoid(W2·relu(W1·x))',
      'W2·gelu(W1·max(x, tanh(x)))',
      'W2·relu((W1·x) ⊙ x)',
      'leaky_relu(W2·gelu(W1·x))',
    ]);
    assert.equal(mathExpr(parseExpr('linear1_1(add(mul(x,tanh(x)),x),wb2)').expr), 'W2·((x ⊙ tanh(x)) + x)');
  });
});
