import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type Batch,
  BatchIterator,
  type EncodedDataset,
  encodeDataset,
  makeBatch,
  seededSplit,
  sequenceLength,
  sequentialBatches,
  splitLast,
  TaskMixtureIterator,
  takeFirst,
} from '../../../efficientbert/data/batching';
import { type Example, readGlueSplit } from '../../../efficientbert/data/glue';
import { WordPieceTokenizer } from '../../../efficientbert/data/tokenizer';
import { BERT_UNCASED_DIR, GLUE_DIR } from '../../helpers/shared-data';

/** Row r of a batch's input ids without padding. */
function row(batch: Batch, r: number): number[] {
  const ids = Array.from(batch.inputIds.subarray(r * batch.seqLen, (r + 1) * batch.seqLen));
  const mask = Array.from(batch.attentionMask.subarray(r * batch.seqLen, (r + 1) * batch.seqLen));
  return ids.filter((_, k) => mask[k] === 1);
}

/** A batch's labels; the test examples are labeled with their own index, so these say which examples it holds. */
const batchLabels = (batch: Batch): number[] => Array.from(batch.labels!);

describe('batching', () => {
  let dir: string;
  let tok: WordPieceTokenizer;
  let examples: Example[];
  let dataset: EncodedDataset;

  before(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'eb-batching-'));
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`);
    fs.writeFileSync(path.join(dir, 'vocab.txt'), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', ...words].join('\n'));
    tok = WordPieceTokenizer.fromDirectory(dir);
    // Example i has i % 7 + 1 words and label i, so a batch's labels say which examples it holds.
    examples = Array.from({ length: 23 }, (_, i) => ({
      textA: words.slice(0, (i % 7) + 1).join(' '),
      label: i,
    }));
    dataset = encodeDataset(examples, tok, { kind: 'classification', maxSeq: 8 });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('encodes once into flat Int32Arrays with offsets, truncating to maxSeq', () => {
    assert.ok(dataset.tokenIds instanceof Int32Array);
    assert.ok(dataset.labels instanceof Int32Array);
    assert.equal(dataset.size, 23);
    assert.equal(sequenceLength(dataset, 0), 3);
    assert.equal(sequenceLength(dataset, 6), 8, '7 words + 2 specials truncated to 8');
    assert.equal(dataset.truncatedCount, 3);
    assert.deepEqual(Array.from(dataset.tokenIds.subarray(0, 3)), [tok.clsId, 4, tok.sepId]);
    const regression = encodeDataset([{ textA: 'w1', textB: 'w2', label: 2.5 }], tok, {
      kind: 'regression',
      maxSeq: 8,
    });
    assert.ok(regression.labels instanceof Float32Array);
    assert.deepEqual(Array.from(regression.tokenTypeIds), [0, 0, 0, 1, 1]);
  });

  it('pads each batch to its own longest sequence', () => {
    const batch = makeBatch(dataset, [0, 2, 1]);
    assert.equal(batch.seqLen, 5);
    assert.equal(batch.batchSize, 3);
    assert.deepEqual(Array.from(batch.inputIds.subarray(0, 5)), [2, 4, 3, 0, 0]);
    assert.deepEqual(Array.from(batch.attentionMask.subarray(0, 5)), [1, 1, 1, 0, 0]);
    assert.deepEqual(row(batch, 1), [2, 4, 5, 6, 3]);
    assert.deepEqual(batchLabels(batch), [0, 2, 1]);
    const pair = encodeDataset([{ textA: 'w0', textB: 'w1 w2', label: 1 }], tok, {
      kind: 'classification',
      maxSeq: 8,
    });
    assert.deepEqual(Array.from(makeBatch(pair, [0]).tokenTypeIds), [0, 0, 0, 1, 1, 1]);
    const evalOrder = [...sequentialBatches(dataset, 10)].flatMap(batchLabels);
    assert.deepEqual(
      evalOrder,
      examples.map((e) => e.label),
    );
  });

  it('visits every example once per epoch, in an order fixed by the seed', () => {
    const epochOrder = (seed: number, epochs = 1) => {
      const it = new BatchIterator(dataset, { batchSize: 5 }, { seed });
      assert.equal(it.batchesPerEpoch, 5);
      return Array.from({ length: it.batchesPerEpoch * epochs }, () => batchLabels(it.next())).flat();
    };
    const first = epochOrder(1);
    assert.deepEqual(
      [...first].sort((a, b) => a - b),
      examples.map((e) => e.label),
    );
    assert.deepEqual(epochOrder(1), first);
    assert.notDeepEqual(epochOrder(2), first);
    const twoEpochs = epochOrder(1, 2);
    assert.notDeepEqual(twoEpochs.slice(23), first, 'each epoch reshuffles');
    const dropped = new BatchIterator(dataset, { batchSize: 5, dropLast: true }, { seed: 1 });
    assert.equal(dropped.batchesPerEpoch, 4);
  });

  it('resumes exactly from a JSON position, mid-epoch and across epoch ends', () => {
    const options = { batchSize: 4, bucketChunkBatches: 2 };
    for (const stopAfter of [0, 3, 6, 12]) {
      const original = new BatchIterator(dataset, options, { seed: 9 });
      for (let i = 0; i < stopAfter; i++) original.next();
      const saved = JSON.parse(JSON.stringify(original.state()));
      const resumed = new BatchIterator(dataset, options, saved);
      for (let i = 0; i < 15; i++)
        assert.deepEqual(resumed.next(), original.next(), `after ${stopAfter}, batch ${i}`);
    }
    const state = new BatchIterator(dataset, options, { seed: 9 }).state();
    assert.throws(() => new BatchIterator(dataset, options, { ...state, index: 99 }), /outside the epoch/);
  });

  it('length bucketing groups similar lengths, covers the epoch and stays deterministic', () => {
    const padding = (options: { batchSize: number; bucketChunkBatches?: number }) => {
      const it = new BatchIterator(dataset, options, { seed: 3 });
      let padded = 0;
      const seen: number[] = [];
      for (let b = 0; b < it.batchesPerEpoch; b++) {
        const batch = it.next();
        padded += batch.attentionMask.reduce((n, m) => n + (m === 0 ? 1 : 0), 0);
        seen.push(...batchLabels(batch));
      }
      assert.deepEqual(
        seen.sort((a, b) => a - b),
        examples.map((e) => e.label),
      );
      return padded;
    };
    assert.ok(padding({ batchSize: 4, bucketChunkBatches: 6 }) < padding({ batchSize: 4 }));
    const once = new BatchIterator(dataset, { batchSize: 4, bucketChunkBatches: 6 }, { seed: 3 }).next();
    assert.deepEqual(
      new BatchIterator(dataset, { batchSize: 4, bucketChunkBatches: 6 }, { seed: 3 }).next(),
      once,
    );
  });

  it('splits train sets deterministically', () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    assert.deepEqual(splitLast(items, 0.1), { kept: items.slice(0, 18), heldOut: [18, 19] });
    assert.deepEqual(takeFirst(items, 0.25), [0, 1, 2, 3, 4]);
    assert.throws(() => splitLast(items, 1.5), /fraction must be in \[0, 1\]/);
    const a = seededSplit(items, 0.3, 42);
    assert.deepEqual(seededSplit(items, 0.3, 42), a);
    assert.notDeepEqual(seededSplit(items, 0.3, 43).heldOut, a.heldOut);
    assert.equal(a.heldOut.length, 6);
    assert.deepEqual(
      [...a.kept, ...a.heldOut].sort((x, y) => x - y),
      items,
    );
    assert.deepEqual(
      a.kept,
      [...a.kept].sort((x, y) => x - y),
      'keeps the original order',
    );
  });

  it('mixes tasks in proportion to their size and resumes exactly', () => {
    const small = encodeDataset(examples.slice(0, 6), tok, { kind: 'classification', maxSeq: 8 });
    const tasks = {
      big: { dataset, options: { batchSize: 3 } },
      small: { dataset: small, options: { batchSize: 3 } },
    };
    const mixture = new TaskMixtureIterator(tasks, { seed: 5 });
    assert.equal(mixture.batchesPerEpoch, 8 + 2);
    const epoch = Array.from({ length: 10 }, () => mixture.next());
    assert.equal(epoch.filter((b) => b.task === 'small').length, 2);
    assert.deepEqual(
      epoch
        .filter((b) => b.task === 'small')
        .flatMap((b) => batchLabels(b.batch))
        .sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5],
    );
    for (let i = 0; i < 3; i++) mixture.next();
    const resumed = new TaskMixtureIterator(tasks, JSON.parse(JSON.stringify(mixture.state())));
    for (let i = 0; i < 25; i++) assert.deepEqual(resumed.next(), mixture.next());
  });
});

describe('batching SST-2 (shared data)', () => {
  it('encodes SST-2 train once and batches it with dynamic padding', (t) => {
    const tok = WordPieceTokenizer.fromDirectory(BERT_UNCASED_DIR);
    const examples = readGlueSplit(GLUE_DIR, 'sst2', 'train');
    const start = performance.now();
    const dataset = encodeDataset(examples, tok, { kind: 'classification', maxSeq: 64 });
    const ms = performance.now() - start;
    t.diagnostic(
      `encoded ${dataset.size} examples (${dataset.tokenIds.length} tokens, ${dataset.truncatedCount} truncated) in ${ms.toFixed(0)} ms`,
    );
    assert.equal(dataset.size, 67349);
    const it = new BatchIterator(dataset, { batchSize: 32, bucketChunkBatches: 50 }, { seed: 42 });
    assert.equal(it.batchesPerEpoch, Math.ceil(67349 / 32));
    const batch = it.next();
    assert.ok(batch.seqLen <= 64);
    assert.equal(batch.inputIds.length, batch.batchSize * batch.seqLen);
  });
});
