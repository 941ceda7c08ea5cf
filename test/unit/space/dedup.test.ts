import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { architectureHash, Deduplicator, functionalHash } from '../../../efficientbert/space/dedup';
import { interpret } from '../../../efficientbert/space/interpret';
import { ACTIVATIONS, MatrixBackend, matrix } from '../../../efficientbert/space/matrix-backend';
import { parseArchitecture, parseExpr, parseLayer } from '../../../efficientbert/space/parse';
import { PRESETS } from '../../../efficientbert/space/presets';
import { EFFICIENTBERT, PLAIN_SEEDS } from '../../../efficientbert/space/published';

const paper = PRESETS.paper;
const layer = (inner: string) => parseLayer(`linear1_2(gelu(linear1_2(${inner},wb1)),wb2)`);

describe('functional de-duplication', () => {
  it('identifies expressions that compute the same function', () => {
    assert.equal(
      functionalHash(layer('add(x,tanh(x))'), paper),
      functionalHash(layer('add(tanh(x),x)'), paper),
    );
    assert.equal(
      functionalHash(layer('max(x,relu(x))'), paper),
      functionalHash(layer('max(relu(x),x)'), paper),
    );
  });

  it('tells different expressions and different sizes apart', () => {
    const hashes = new Set(
      ['x', 'add(x,tanh(x))', 'mul(x,tanh(x))', 'max(x,tanh(x))', 'add(x,sigmoid(x))', 'swish(x)'].map((e) =>
        functionalHash(layer(e), paper),
      ),
    );
    assert.equal(hashes.size, 6);
    const sizes = new Set(PLAIN_SEEDS.map((s) => functionalHash(s, paper)));
    assert.equal(sizes.size, 16);
  });

  it('is stable: the same layer hashes the same way every time', () => {
    assert.equal(architectureHash(EFFICIENTBERT, paper), architectureHash(EFFICIENTBERT, paper));
  });

  it('Deduplicator counts string duplicates and function duplicates once', () => {
    const dedup = new Deduplicator(paper);
    const seed = 'linear1_1(gelu(linear1_1(x,wb1)),wb2)';
    const a = parseArchitecture(`linear1_1(gelu(linear1_1(add(x,tanh(x)),wb1)),wb2), ${seed}`);
    const b = parseArchitecture(`linear1_1(gelu(linear1_1(add(tanh(x),x),wb1)),wb2), ${seed}`);
    const c = parseArchitecture(`linear1_1(gelu(linear1_1(mul(tanh(x),x),wb1)),wb2), ${seed}`);
    assert.equal(dedup.has(a), false);
    assert.equal(dedup.add(a), true);
    assert.equal(dedup.add(a), false);
    assert.equal(dedup.has(b), true);
    assert.equal(dedup.add(b), false);
    assert.equal(dedup.add(c), true);
    assert.equal(dedup.size, 2);
  });
});

describe('MatrixBackend', () => {
  it('implements the activations as the reference does', () => {
    const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-6, `${a} vs ${b}`);
    close(ACTIVATIONS.gelu(1), 0.841192);
    close(ACTIVATIONS.gelu(-1), -0.158808);
    close(ACTIVATIONS.leaky_relu(-2), -0.02);
    close(ACTIVATIONS.elu(-1), Math.exp(-1) - 1);
    close(ACTIVATIONS.swish(2), 2 / (1 + Math.exp(-2)));
    close(ACTIVATIONS.relu(-3), 0);
    close(ACTIVATIONS.sigmoid(0), 0.5);
  });

  it('slices x to the intermediate width in mul(linear1_2(x,wb1),x) at H=540', () => {
    const h = 540;
    const i = 270;
    const rows = 2;
    const x = matrix(
      rows,
      h,
      Float32Array.from({ length: rows * h }, (_, k) => ((k * 7) % 13) / 13 - 0.5),
    );
    const kernel = matrix(
      h,
      i,
      Float32Array.from({ length: h * i }, (_, k) => ((k * 5) % 11) / 110 - 0.05),
    );
    const bias = Float32Array.from({ length: i }, (_, k) => k / 1000);
    const zero = { kernel: matrix(i, h), bias: new Float32Array(h) };
    const backend = new MatrixBackend({ wb1: { kernel, bias }, wb2: zero });
    const out = interpret(parseExpr('mul(linear1_2(x,wb1),x)').expr, x, backend);
    assert.equal(out.cols, i);
    for (const [r, c] of [
      [0, 0],
      [1, 269],
      [0, 100],
    ] as const) {
      let dot = bias[c]!;
      for (let k = 0; k < h; k++) dot += x.data[r * h + k]! * kernel.data[k * i + c]!;
      const expected = dot * x.data[r * h + c]!;
      assert.ok(Math.abs(out.data[r * i + c]! - expected) < 1e-4, `(${r},${c})`);
    }
  });
});
