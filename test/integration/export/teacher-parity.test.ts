/**
 * ORT vs tfjs parity of the teacher (standard BERT) export, for the exact-erf GELU of BERT-base and
 * the tanh approximation, a classifier and a regressor, in every export variant.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { ExportOptions } from '../../../efficientbert/export/options';
import { buildTeacherOnnx } from '../../../efficientbert/export/teacher-graph';
import { selectBackend } from '../../../efficientbert/model/backend';
import { type TeacherConfig, teacherWeightShapes } from '../../../efficientbert/model/teacher-config';
import {
  FP32_TOLERANCE,
  INT8_TOLERANCE,
  maxAbsDiff,
  onnxCheckAll,
  ParityLog,
  randomBatch,
  randomWeights,
  runOrt,
  tfjsTeacher,
} from './harness';

const VARIANTS: Record<string, ExportOptions> = {
  plain: { fused: false, int8: false },
  fused: { fused: true, int8: false },
  'plain-int8': { fused: false, int8: true },
  'fused-int8': { fused: true, int8: true },
};

const SMALL_BERT: TeacherConfig = {
  vocabSize: 300,
  hidden: 48,
  layers: 3,
  heads: 4,
  intermediate: 192,
  hiddenAct: 'gelu',
  maxPositions: 64,
  typeVocab: 2,
  layerNormEps: 1e-12,
  dropout: 0.1,
  numLabels: 2,
};

describe('teacher export parity (ORT vs tfjs)', () => {
  const checked = new Map<string, Uint8Array>();
  const log = new ParityLog();

  before(async () => {
    await selectBackend('wasm', () => {});
  });

  const cases: Array<[string, TeacherConfig]> = [
    ['erf GELU classifier', SMALL_BERT],
    ['tanh GELU regressor', { ...SMALL_BERT, hiddenAct: 'gelu_new', numLabels: 1 }],
  ];
  for (const [label, config] of cases) {
    it(label, async () => {
      const weights = randomWeights(teacherWeightShapes(config), 3, 0.1);
      const batch = randomBatch(9, 3, 13, config.vocabSize);
      const ref = tfjsTeacher(config, weights, batch);
      for (const [variant, options] of Object.entries(VARIANTS)) {
        const model = buildTeacherOnnx({ config, weights, options, exposeHidden: true });
        checked.set(`${label} ${variant}`, model);
        const out = await runOrt(model, batch);
        const tol = options.int8 ? INT8_TOLERANCE : FP32_TOLERANCE;
        const dLogits = maxAbsDiff(out.logits!, ref.logits);
        const dHidden = maxAbsDiff(out.last_hidden_state!, ref.hidden);
        log.record(variant, dLogits, dHidden);
        log.record(variant, dLogits, dHidden);
        assert.ok(dLogits <= tol.logits, `${label} ${variant}: logits differ by ${dLogits}`);
        assert.ok(dHidden <= tol.hidden, `${label} ${variant}: hidden states differ by ${dHidden}`);
        assert.equal(out.probabilities === undefined, config.numLabels === 1);
      }
    });
  }

  it('every exported graph passes onnx.checker', (t) => {
    t.diagnostic(log.summary());
    assert.equal(checked.size, 8);
    assert.deepEqual(onnxCheckAll(checked), []);
  });
});
