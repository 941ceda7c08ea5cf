import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { Prng } from '../../../efficientbert/core/prng';
import { selectBackend } from '../../../efficientbert/model/backend';
import { noDropout } from '../../../efficientbert/model/layers';
import {
  parseSafetensors,
  readSafetensors,
  serializeSafetensors,
  writeSafetensors,
} from '../../../efficientbert/model/safetensors';
import { loadTeacher, saveTeacher, Teacher } from '../../../efficientbert/model/teacher';
import type { TeacherConfig } from '../../../efficientbert/model/teacher-config';
import * as tf from '../../../efficientbert/model/tf';

const TOKENIZER_DIR = path.resolve(__dirname, '../../../../shared/data/bert-base-uncased');
const CONFIG: TeacherConfig = {
  vocabSize: 120,
  hidden: 16,
  layers: 2,
  heads: 2,
  intermediate: 32,
  hiddenAct: 'gelu',
  maxPositions: 32,
  typeVocab: 2,
  layerNormEps: 1e-12,
  dropout: 0.1,
  numLabels: 3,
};

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'teacher-'));
}

function inputs() {
  return {
    inputIds: tf.tensor2d(
      [
        [2, 5, 9, 0],
        [7, 3, 0, 0],
      ],
      [2, 4],
      'int32',
    ),
    tokenTypeIds: tf.tensor2d(
      [
        [0, 0, 1, 1],
        [0, 0, 0, 0],
      ],
      [2, 4],
      'int32',
    ),
    attentionMask: tf.tensor2d(
      [
        [1, 1, 1, 0],
        [1, 1, 0, 0],
      ],
      [2, 4],
    ),
  };
}

describe('safetensors', () => {
  it('round-trips float32 tensors and metadata, with an 8-byte aligned header', () => {
    const tensors = new Map([
      ['a', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
      ['b.c', { shape: [1], data: Float32Array.from([-0.5]) }],
    ]);
    const buf = serializeSafetensors(tensors, { format: 'pt' });
    assert.equal(Number(buf.readBigUInt64LE(0)) % 8, 0);
    const back = parseSafetensors(buf);
    assert.deepEqual([...back.keys()], ['a', 'b.c']);
    assert.deepEqual(Array.from(back.get('a')!.data!), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(back.get('a')!.shape, [2, 3]);
  });

  it('converts F16 and BF16 to float32', () => {
    const header = JSON.stringify({
      h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] },
      b: { dtype: 'BF16', shape: [2], data_offsets: [6, 10] },
    });
    const buf = Buffer.alloc(8 + header.length + 10);
    buf.writeBigUInt64LE(BigInt(header.length), 0);
    buf.write(header, 8);
    const d = 8 + header.length;
    for (const [i, v] of [0x3c00, 0xc000, 0x3555].entries()) buf.writeUInt16LE(v, d + 2 * i); // 1, -2, ~1/3
    for (const [i, v] of [0x3f80, 0xc0a0].entries()) buf.writeUInt16LE(v, d + 6 + 2 * i); // 1, -5
    const t = parseSafetensors(buf);
    assert.deepEqual(Array.from(t.get('h')!.data!).slice(0, 2), [1, -2]);
    assert.ok(Math.abs(t.get('h')!.data![2]! - 1 / 3) < 1e-3);
    assert.deepEqual(Array.from(t.get('b')!.data!), [1, -5]);
  });

  it('rejects offsets outside the data, wrong sizes and overlaps', () => {
    const make = (entries: object, dataBytes: number) => {
      const header = JSON.stringify(entries);
      const buf = Buffer.alloc(8 + header.length + dataBytes);
      buf.writeBigUInt64LE(BigInt(header.length), 0);
      buf.write(header, 8);
      return buf;
    };
    assert.throws(
      () => parseSafetensors(make({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8)),
      /outside the data/,
    );
    assert.throws(
      () => parseSafetensors(make({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8)),
      /needs 12 bytes/,
    );
    assert.throws(
      () =>
        parseSafetensors(
          make(
            {
              a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
              b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
            },
            12,
          ),
        ),
      /overlap/,
    );
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(1000n, 0);
    assert.throws(() => parseSafetensors(huge), /exceeds the file/);
  });
});

describe('teacher BERT from a Hugging Face folder', () => {
  before(async () => {
    await selectBackend('wasm', () => {});
  });

  it('saves and loads a folder (config, safetensors, tokenizer) with identical outputs', () => {
    const dir = tmpDir();
    const teacher = Teacher.random(CONFIG, Prng.fromSeed(1));
    saveTeacher(teacher, dir, TOKENIZER_DIR);
    assert.ok(fs.existsSync(path.join(dir, 'vocab.txt')));
    const hf = readSafetensors(path.join(dir, 'model.safetensors'));
    // HF layout: Linear weights are [out, in].
    assert.deepEqual(hf.get('bert.encoder.layer.0.intermediate.dense.weight')!.shape, [32, 16]);
    assert.deepEqual(hf.get('classifier.weight')!.shape, [3, 16]);
    const loaded = loadTeacher(dir);
    tf.tidy(() => {
      const a = teacher.forward(inputs(), noDropout);
      const b = loaded.forward(inputs(), noDropout);
      assert.equal(a.hidden.length, 2);
      assert.deepEqual(a.scores[1]!.shape, [2, 2, 4, 4]);
      assert.deepEqual(a.logits!.shape, [2, 3]);
      assert.deepEqual(Array.from(a.logits!.dataSync()), Array.from(b.logits!.dataSync()));
      assert.deepEqual(Array.from(a.hidden[1]!.dataSync()), Array.from(b.hidden[1]!.dataSync()));
    });
    teacher.dispose();
    loaded.dispose();
  });

  it('names the head’s outputs with the labels given (id2label), transformers’ defaults otherwise', () => {
    const teacher = Teacher.random(CONFIG, Prng.fromSeed(1));
    const config = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    const named = tmpDir();
    saveTeacher(teacher, named, undefined, ['sports', 'cooking', 'weather']);
    assert.deepEqual(config(named).id2label, { 0: 'sports', 1: 'cooking', 2: 'weather' });
    assert.deepEqual(config(named).label2id, { sports: 0, cooking: 1, weather: 2 });
    const unnamed = tmpDir();
    saveTeacher(teacher, unnamed);
    assert.deepEqual(config(unnamed).id2label, { 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' });
    teacher.dispose();
  });

  it('accepts gamma/beta LayerNorm names and checkpoints without the bert. prefix', () => {
    const dir = tmpDir();
    const teacher = Teacher.random(CONFIG, Prng.fromSeed(2));
    saveTeacher(teacher, dir);
    const file = path.join(dir, 'model.safetensors');
    const renamed = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, e] of readSafetensors(file)) {
      renamed.set(
        name
          .replace(/^bert\./, '')
          .replace(/LayerNorm\.weight$/, 'LayerNorm.gamma')
          .replace(/LayerNorm\.bias$/, 'LayerNorm.beta'),
        {
          shape: [...e.shape],
          data: e.data!,
        },
      );
    }
    renamed.set('embeddings.position_ids', { shape: [1], data: Float32Array.from([0]) });
    writeSafetensors(file, renamed);
    const loaded = loadTeacher(dir);
    tf.tidy(() =>
      assert.deepEqual(
        Array.from(loaded.forward(inputs(), noDropout).logits!.dataSync()),
        Array.from(teacher.forward(inputs(), noDropout).logits!.dataSync()),
      ),
    );
    teacher.dispose();
    loaded.dispose();
  });

  it('names the tensor and both shapes when the folder does not match its config', () => {
    const dir = tmpDir();
    const teacher = Teacher.random(CONFIG, Prng.fromSeed(3));
    saveTeacher(teacher, dir);
    const cfgPath = path.join(dir, 'config.json');
    const cfg = JSON.parse(fs.readFileSync(cfgPath, 'utf8'));
    fs.writeFileSync(cfgPath, JSON.stringify({ ...cfg, intermediate_size: 48 }));
    assert.throws(
      () => loadTeacher(dir),
      /bert\.encoder\.layer\.0\.intermediate\.dense\.weight' has shape \[32,16\], config\.json implies \[48,16\]/,
    );
    fs.writeFileSync(cfgPath, JSON.stringify({ ...cfg, num_hidden_layers: 3 }));
    assert.throws(
      () => loadTeacher(dir),
      /bert\.encoder\.layer\.2\.attention\.self\.query\.weight' required by config\.json \(shape \[16,16\]\) is missing/,
    );
    teacher.dispose();
  });
});
