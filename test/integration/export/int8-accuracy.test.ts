/**
 * int8 export on trained weights (the parity tests use random ones): a small student fine-tuned on
 * SST-2 for a few hundred steps, exported as fp32 and as dynamic int8, both run by ONNX Runtime over
 * the dev set. int8 must stay within one accuracy point of fp32 and agree with it on nearly every
 * sentence. `npm run bench -- int8-accuracy` measures the same at a larger preset.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { measureInt8Agreement } from '../../fixtures/int8-agreement';
import { trainSst2Student } from '../../fixtures/sst2-student';

const TOLERANCE_POINTS = 1;

describe('int8 export of a trained student', () => {
  it(`keeps SST-2 dev accuracy within ${TOLERANCE_POINTS} point of fp32`, async () => {
    const student = await trainSst2Student({
      preset: 'tiny',
      steps: 300,
      maxSeq: 64,
      batchSize: 32,
      peakLr: 1e-3,
      seed: 42,
    });
    const result = await measureInt8Agreement(student);
    const summary = JSON.stringify(result);
    // Trained, not guessing: well above the majority class (50.9%).
    assert.ok(result.fp32Accuracy > result.majorityBaseline + 0.1, summary);
    assert.ok(Math.abs(result.deltaPoints) <= TOLERANCE_POINTS, summary);
    assert.ok(result.agreement >= 0.98, summary);
    assert.ok(result.maxAbsProbDelta < 0.05, summary);
  });
});
