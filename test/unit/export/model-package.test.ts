import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { exportStudentPackage, exportTeacherPackage } from '../../../efficientbert/export/model-package';
import { randomInitWeights } from '../../../efficientbert/export/random-init';
import { publishedArchitecture } from '../../../efficientbert/model/published-arch';
import { teacherWeightShapes } from '../../../efficientbert/model/teacher-config';
import { PRESETS } from '../../../efficientbert/space/presets';
import { printArchitecture } from '../../../efficientbert/space/print';
import { headWeightShapes, studentWeightShapes } from '../../../efficientbert/space/weights';
import { validateModelConfig } from '../../../services/inference/repository/model-config';
import { BERT_UNCASED_DIR } from '../../helpers/shared-data';

const config = { ...PRESETS.tiny, vocabSize: 30522 };
const arch = publishedArchitecture(config.layers);

describe('model packages', () => {
  const out = mkdtempSync(join(tmpdir(), 'eb-export-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  const studentWeights = (task: string, outputs: number) =>
    randomInitWeights(
      new Map([...studentWeightShapes(config, arch), ...headWeightShapes(config, task, outputs)]),
      1,
    );

  it('writes <out>/<name>/<version>/ with model.onnx, a valid model.json and the tokenizer', async () => {
    const head = { task: 'sst2', kind: 'classification' as const, outputs: 2 };
    const written = exportStudentPackage({
      config,
      arch,
      head,
      weights: studentWeights('sst2', 2),
      out,
      name: 'efficientbert',
      version: 3,
      tokenizerDir: BERT_UNCASED_DIR,
      labels: ['negative', 'positive'],
      metrics: { accuracy: 0.5 },
      options: { fused: true, int8: true },
    });
    assert.equal(written.versionDir, join(out, 'efficientbert', '3'));
    const json = JSON.parse(readFileSync(join(written.versionDir, 'model.json'), 'utf8'));
    const served = validateModelConfig(json);
    assert.deepEqual(served, {
      task: 'classification',
      labels: ['negative', 'positive'],
      maxSeqLength: config.maxSeq,
      tokenizer: 'tokenizer/',
      architecture: printArchitecture(arch),
      metrics: { accuracy: 0.5 },
    });
    assert.deepEqual(json.onnx, { opset: 17, fused: true, int8: true });
    for (const f of ['tokenizer.json', 'vocab.txt', 'tokenizer_config.json']) {
      assert.ok(existsSync(join(written.versionDir, 'tokenizer', f)), f);
    }
    const session = await ort.InferenceSession.create(written.modelPath);
    assert.deepEqual([...session.inputNames].sort(), ['attention_mask', 'input_ids', 'token_type_ids']);
    assert.deepEqual([...session.outputNames], ['logits', 'probabilities']);
    await session.release();
  });

  it('re-exports over an existing version (the copied tokenizer files stay writable)', () => {
    const base = {
      config,
      arch,
      head: { task: 'stsb', kind: 'regression' as const, outputs: 1 },
      weights: studentWeights('stsb', 1),
      out,
      name: 'stsb',
      version: 1,
      tokenizerDir: BERT_UNCASED_DIR,
      options: { fused: false, int8: false },
    };
    exportStudentPackage(base);
    const again = exportStudentPackage(base);
    const served = validateModelConfig(
      JSON.parse(readFileSync(join(again.versionDir, 'model.json'), 'utf8')),
    );
    assert.equal(served.task, 'regression');
    assert.deepEqual(served.labels, []);
  });

  it('exports a BERT teacher package', () => {
    const bert = {
      vocabSize: 30522,
      hidden: 32,
      layers: 2,
      heads: 2,
      intermediate: 64,
      hiddenAct: 'gelu' as const,
      maxPositions: 128,
      typeVocab: 2,
      layerNormEps: 1e-12,
      dropout: 0.1,
      numLabels: 3,
    };
    const written = exportTeacherPackage({
      config: bert,
      weights: randomInitWeights(teacherWeightShapes(bert), 2),
      out,
      name: 'bert',
      version: 1,
      tokenizerDir: BERT_UNCASED_DIR,
      maxSeqLength: 128,
      options: { fused: true, int8: false },
    });
    assert.deepEqual(written.modelJson.labels, ['LABEL_0', 'LABEL_1', 'LABEL_2']);
    assert.match(written.modelJson.architecture, /^bert\(layers=2,hidden=32/);
  });

  it('refuses labels that do not fit the head, bad names and missing weights', () => {
    const base = {
      config,
      arch,
      head: { task: 'sst2', kind: 'classification' as const, outputs: 2 },
      weights: studentWeights('sst2', 2),
      out,
      name: 'x',
      version: 1,
      tokenizerDir: BERT_UNCASED_DIR,
      options: { fused: false, int8: false },
    };
    assert.throws(() => exportStudentPackage({ ...base, labels: ['a', 'b', 'c'] }), /3 labels/);
    assert.throws(() => exportStudentPackage({ ...base, name: '../up' }), /invalid model name/);
    assert.throws(() => exportStudentPackage({ ...base, version: 0 }), /positive integer/);
    const partial = new Map(base.weights);
    partial.delete('encoder.1.ffn.0.dense2.kernel');
    assert.throws(
      () => exportStudentPackage({ ...base, weights: partial }),
      /'encoder.1.ffn.0.dense2.kernel'.*missing/,
    );
  });
});
