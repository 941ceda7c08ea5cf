import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  attentionLoss,
  crossEntropy,
  hiddenLoss,
  softCrossEntropy,
  teacherLayerFor,
  zeroMaskedScores,
} from '../../../efficientbert/distill/losses';
import { linearWarmupDecay } from '../../../efficientbert/distill/schedule';
import { selectBackend } from '../../../efficientbert/model/backend';
import type { EncoderOutput } from '../../../efficientbert/model/encoder-output';
import * as tf from '../../../efficientbert/model/tf';

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

function output(hidden: number[][][], scores: number[][][][][], embedding: number[][]): EncoderOutput {
  return {
    embedding: tf.tensor2d(embedding),
    hidden: hidden.map((h) => tf.tensor2d(h)),
    scores: scores.map((s) => tf.tensor4d(s)),
    batchSize: 1,
    seqLen: embedding.length,
  };
}

describe('distillation losses (spec §3)', () => {
  before(async () => {
    await selectBackend('wasm', () => {});
  });

  it('maps student layer i to teacher layer i·k', () => {
    assert.deepEqual(
      [0, 1, 2].map((i) => teacherLayerFor(i, 3, 6)),
      [1, 3, 5],
    );
    assert.deepEqual(
      [0, 1].map((i) => teacherLayerFor(i, 2, 2)),
      [0, 1],
    );
    assert.throws(() => teacherLayerFor(0, 4, 6), /multiple/);
  });

  it('zeroes masked scores (≤ −100) on both sides before the MSE', () => {
    assert.deepEqual(
      Array.from(zeroMaskedScores(tf.tensor1d([-10000, -100, -99, 3])).dataSync()),
      [0, 0, -99, 3],
    );
    const s = output([[[0]]], [[[[[1, -10000]]]]], [[0]]);
    const t = output([[[0]]], [[[[[3, -10005]]]]], [[0]]);
    close(attentionLoss(s, t).dataSync()[0]!, (2 * 2) / 2);
  });

  it('compares head-averaged scores when head counts differ', () => {
    const s = output([[[0]]], [[[[[1]], [[3]]]]], [[0]]); // 2 heads: mean 2
    const t = output([[[0]]], [[[[[5]]]]], [[0]]); // 1 head
    close(attentionLoss(s, t).dataSync()[0]!, 9);
  });

  it('sums the embedding and per-layer hidden MSEs through fit_dense', () => {
    const s = output([[[1, 2]], [[0, 0]]], [[[[[0]]]], [[[[0]]]]], [[1, 1]]);
    const t = output(
      [[[0, 0]], [[1, 2]], [[0, 0]], [[3, 3]]],
      [[[[[0]]]], [[[[0]]]], [[[[0]]]], [[[[0]]]]],
      [[0, 0]],
    );
    const fit = (h: tf.Tensor2D) => tf.mul(h, 2) as tf.Tensor2D;
    // emb: mean((2-0)^2,(2-0)^2)=4; layer0 vs teacher1: fit [2,4] vs [1,2] → (1+4)/2=2.5; layer1 vs teacher3: [0,0] vs [3,3] → 9
    close(hiddenLoss(s, t, fit).dataSync()[0]!, 4 + 2.5 + 9);
  });

  it('soft cross-entropy averages over batch × classes', () => {
    const st = tf.tensor2d([[1, 2, 3]]);
    const te = tf.tensor2d([[3, 1, 0]]);
    const p = [3, 1, 0].map(Math.exp);
    const z = p.reduce((a, b) => a + b);
    const lq = [1, 2, 3].map((v) => v - Math.log([1, 2, 3].map(Math.exp).reduce((a, b) => a + b)));
    const expected = -p.reduce((acc, pi, i) => acc + (pi / z) * lq[i]!, 0) / 3;
    close(softCrossEntropy(st, te).dataSync()[0]!, expected);
    close(crossEntropy(tf.tensor2d([[0, Math.log(3)]]), tf.tensor1d([1])).dataSync()[0]!, -Math.log(3 / 4));
  });

  it('warms up linearly over 10% of the steps, then decays linearly to 0', () => {
    assert.deepEqual(
      [0, 5, 10, 55, 100].map((s) => linearWarmupDecay(s, 100, 1)),
      [0, 0.5, 1, 0.5, 0],
    );
  });
});
