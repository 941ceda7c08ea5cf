import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BatchIterator } from '../../../efficientbert/data/batching';
import { WordPieceTokenizer } from '../../../efficientbert/data/tokenizer';
import { readUnlabeledSentences, unlabeledDataset } from '../../../efficientbert/data/unlabeled';
import { BERT_UNCASED_DIR, GLUE_DIR } from '../../helpers/shared-data';

describe('unlabeled text for pre-training KD', () => {
  let dir: string;
  let tok: WordPieceTokenizer;
  before(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'eb-unlabeled-'));
    fs.mkdirSync(path.join(dir, 'RTE'));
    fs.mkdirSync(path.join(dir, 'SST-2'));
    fs.writeFileSync(
      path.join(dir, 'RTE', 'train.tsv'),
      'index\tsentence1\tsentence2\tlabel\n0\tw0 w1\tw2\tentailment\n1\tw0 w1\tw3 w4 w5\tnot_entailment\n',
    );
    fs.writeFileSync(path.join(dir, 'SST-2', 'train.tsv'), 'sentence\tlabel\nw2\t1\nw5 w5\t0\n');
    const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'w0', 'w1', 'w2', 'w3', 'w4', 'w5'];
    fs.writeFileSync(path.join(dir, 'vocab.txt'), vocab.join('\n'));
    tok = WordPieceTokenizer.fromDirectory(dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('takes every distinct sentence of the train split, both sides of a pair, without labels', () => {
    assert.deepEqual(readUnlabeledSentences(dir, 'rte'), ['w0 w1', 'w2', 'w3 w4 w5']);
  });

  it('tokenizes them as single sentences into an unlabeled dataset, across tasks', () => {
    const dataset = unlabeledDataset(dir, ['rte', 'sst2'], tok, 4);
    assert.equal(dataset.size, 4, 'w2 appears in both tasks and is kept once');
    assert.equal(dataset.labels, null);
    assert.equal(dataset.truncatedCount, 1);
    assert.deepEqual(
      Array.from(dataset.tokenTypeIds).filter((t) => t !== 0),
      [],
    );
    const batch = new BatchIterator(dataset, { batchSize: 4, shuffle: false }, { seed: 0 }).next();
    assert.equal(batch.labels, null);
    assert.deepEqual(Array.from(batch.inputIds.subarray(0, 4)), [2, 4, 5, 3]);
  });
});

describe('unlabeled SST-2 (shared data)', () => {
  it('reads the SST-2 train sentences', () => {
    const sentences = readUnlabeledSentences(GLUE_DIR, 'sst2');
    assert.ok(sentences.length > 60_000 && sentences.length <= 67349);
    const dataset = unlabeledDataset(
      GLUE_DIR,
      ['sst2'],
      WordPieceTokenizer.fromDirectory(BERT_UNCASED_DIR),
      128,
    );
    assert.equal(dataset.size, sentences.length);
  });
});
