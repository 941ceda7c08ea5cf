/**
 * Bring-your-own teacher against the real library: transformers writes a small random
 * BertForSequenceClassification in every weights layout (save_pretrained's model.safetensors, and
 * sharded; torch.save's pytorch_model.bin, and sharded with an index as older transformers wrote
 * it), we import each and our teacher's logits must equal transformers' within 1e-4 on the same
 * inputs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { DirArtifactStore } from '../../../efficientbert/artifacts';
import { WordPieceTokenizer } from '../../../efficientbert/data/tokenizer';
import { selectBackend } from '../../../efficientbert/model/backend';
import { loadTeacher } from '../../../efficientbert/model/teacher';
import { importTeacher, TeacherImportError } from '../../../efficientbert/model/teacher-import';
import * as tf from '../../../efficientbert/model/tf';
import { makeHfBertFolders } from '../../helpers/hf-bert-folder';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'teacher-import-'));
const store = new DirArtifactStore(path.join(work, 'store'));
interface Expected {
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids: number[][];
  logits: number[][];
  sentences: string[];
}
let expected: Expected;

before(async () => {
  await selectBackend('cpu', () => {});
  makeHfBertFolders(path.join(work, 'hf'));
  expected = JSON.parse(fs.readFileSync(path.join(work, 'hf', 'expected.json'), 'utf8')) as Expected;
});
after(() => fs.rmSync(work, { recursive: true, force: true }));

function logitsOf(dir: string): number[][] {
  const teacher = loadTeacher(dir);
  const [b, s] = [expected.input_ids.length, expected.input_ids[0]!.length];
  const t = (rows: number[][], dtype: 'int32' | 'float32') => tf.tensor2d(rows.flat(), [b, s], dtype);
  const out = teacher.forward(
    {
      inputIds: t(expected.input_ids, 'int32'),
      tokenTypeIds: t(expected.token_type_ids, 'int32'),
      attentionMask: t(expected.attention_mask, 'float32'),
    },
    (x) => x,
  );
  const logits = out.logits!.arraySync();
  teacher.dispose();
  return logits;
}

function assertClose(actual: number[][], want: number[][]): void {
  let worst = 0;
  for (let i = 0; i < want.length; i++)
    for (let j = 0; j < want[i]!.length; j++)
      worst = Math.max(worst, Math.abs(actual[i]![j]! - want[i]![j]!));
  assert.ok(worst <= 1e-4, `max |Δlogit| ${worst} > 1e-4`);
}

const LAYOUTS = {
  st: 'model.safetensors',
  'st-sharded': 'model.safetensors.index.json',
  bin: 'pytorch_model.bin',
  'bin-sharded': 'pytorch_model.bin.index.json',
} as const;

for (const [kind, weightsFrom] of Object.entries(LAYOUTS)) {
  test(`teacher import (${weightsFrom}): logits equal transformers' within 1e-4`, async () => {
    const imported = await importTeacher(path.join(work, 'hf', kind), store);
    assert.equal(imported.architecture, 'BertForSequenceClassification');
    assert.deepEqual(imported.labels, ['sad', 'neutral', 'happy']);
    assert.equal(imported.weightsFrom, weightsFrom);
    const dir = path.join(work, `restored-${kind}`);
    await store.getDir(imported.ref, dir);
    assertClose(logitsOf(dir), expected.logits);
    // The teacher's own tokenizer gives transformers' input ids.
    const tok = WordPieceTokenizer.fromDirectory(dir);
    for (let i = 0; i < expected.sentences.length; i++) {
      const ids = tok.encode(expected.sentences[i]!).inputIds;
      assert.deepEqual([...ids], expected.input_ids[i]!.slice(0, ids.length));
    }
    // Re-importing the same folder gives the same ref.
    assert.equal((await importTeacher(path.join(work, 'hf', kind), store)).ref, imported.ref);
  });
}

function copyWith(kind: string, edit: (dir: string) => void): string {
  const dir = path.join(work, `bad-${Math.random().toString(36).slice(2)}`);
  fs.cpSync(path.join(work, 'hf', kind), dir, { recursive: true });
  edit(dir);
  return dir;
}

function editConfig(dir: string, change: (c: Record<string, unknown>) => void): void {
  const file = path.join(dir, 'config.json');
  const c = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  change(c);
  fs.writeFileSync(file, JSON.stringify(c));
}

test('teacher import refuses bad folders, naming the file at fault', async () => {
  const cases: [string, string, RegExp][] = [
    [
      copyWith('st', (d) => editConfig(d, (c) => (c.architectures = ['RobertaForSequenceClassification']))),
      'config.json',
      /RobertaForSequenceClassification/,
    ],
    [copyWith('st', (d) => fs.rmSync(path.join(d, 'config.json'))), 'config.json', /missing/],
    [copyWith('st', (d) => fs.rmSync(path.join(d, 'model.safetensors'))), 'model.safetensors', /missing/],
    [copyWith('st', (d) => fs.rmSync(path.join(d, 'tokenizer.json'))), 'vocab.txt', /no tokenizer/],
    [copyWith('st', (d) => editConfig(d, (c) => (c.hidden_size = 48))), 'model.safetensors', /shape/],
    [
      copyWith('bin', (d) => fs.writeFileSync(path.join(d, 'pytorch_model.bin'), 'not a checkpoint')),
      'pytorch_model.bin',
      /zip/,
    ],
    [
      copyWith('bin', (d) => {
        const f = path.join(d, 'pytorch_model.bin');
        fs.writeFileSync(f, fs.readFileSync(f).subarray(0, 4000));
      }),
      'pytorch_model.bin',
      /./,
    ],
    [
      copyWith('st-sharded', (d) => fs.rmSync(path.join(d, 'model-00002-of-00003.safetensors'))),
      'model-00002-of-00003.safetensors',
      /missing \(named by model\.safetensors\.index\.json/,
    ],
    [
      copyWith('bin-sharded', (d) => {
        const f = path.join(d, 'pytorch_model.bin.index.json');
        const index = JSON.parse(fs.readFileSync(f, 'utf8')) as { weight_map: Record<string, string> };
        const first = Object.keys(index.weight_map)[0]!;
        index.weight_map[first] = '../pytorch_model-00001-of-00002.bin';
        fs.writeFileSync(f, JSON.stringify(index));
      }),
      'pytorch_model.bin.index.json',
      /not a shard file name/,
    ],
    [
      copyWith('bin-sharded', (d) => {
        const f = path.join(d, 'pytorch_model.bin.index.json');
        const index = JSON.parse(fs.readFileSync(f, 'utf8')) as { weight_map: Record<string, string> };
        delete index.weight_map[Object.keys(index.weight_map)[0]!];
        fs.writeFileSync(f, JSON.stringify(index));
      }),
      'pytorch_model-00001-of-00002.bin',
      /which pytorch_model\.bin\.index\.json does not map to it/,
    ],
  ];
  for (const [dir, file, message] of cases) {
    await assert.rejects(importTeacher(dir, store), (err: unknown) => {
      assert.ok(err instanceof TeacherImportError, String(err));
      assert.equal(err.file, file, err.message);
      assert.match(err.message, message);
      return true;
    });
  }
});

test('efficientbert teacher import DIR prints the same ref each time, and refuses another architecture (exit 1)', () => {
  const bin = path.resolve(__dirname, '../../../bin/efficientbert');
  const cli = (dir: string) =>
    spawnSync(bin, ['teacher', 'import', dir, '--artifacts', path.join(work, 'cli-store'), '--json'], {
      encoding: 'utf8',
    });
  const first = cli(path.join(work, 'hf', 'bin'));
  assert.equal(first.status, 0, first.stderr);
  const ref = (JSON.parse(first.stdout) as { ref: string }).ref;
  assert.match(ref, /^sha256:[0-9a-f]{64}$/);
  assert.equal((JSON.parse(cli(path.join(work, 'hf', 'bin')).stdout) as { ref: string }).ref, ref);
  const bad = copyWith('st', (d) => editConfig(d, (c) => (c.architectures = ['GPT2LMHeadModel'])));
  const refused = cli(bad);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /config\.json: architecture 'GPT2LMHeadModel' is not supported/);
});
