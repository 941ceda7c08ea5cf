import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PIECE_CACHE_LIMIT, WordPieceTokenizer } from '../../../efficientbert/data/tokenizer';
import { BERT_UNCASED_DIR, GLUE_DIR } from '../../helpers/shared-data';

interface GoldenCase {
  a: string;
  b: string | null;
  tokens: string[];
  ids: number[];
  typeIds: number[];
}
interface GoldenTruncation {
  a: string;
  b: string | null;
  maxLength: number;
  ids: number[];
  typeIds: number[];
}
// Reference encodings from Hugging Face `tokenizers` (see make-hf-golden.py beside the file).
const golden: { plain: GoldenCase[]; truncated: GoldenTruncation[] } = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../../fixtures/data/hf-bert-base-uncased-golden.json'), 'utf8'),
);

/** A minimal BERT tokenizer.json around a small vocabulary, for edge cases and error messages. */
function miniTokenizerJson(
  vocab: string[],
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    version: '1.0',
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]']
      .filter((content) => vocab.includes(content))
      .map((content) => ({ id: vocab.indexOf(content), content, special: true })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
    ...overrides,
  };
}
const MINI_VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'un', '##aff', '##able', 'a', '##a', '!', 'x'];

describe('WordPieceTokenizer (bert-base-uncased)', () => {
  let tok: WordPieceTokenizer;
  before(() => {
    tok = WordPieceTokenizer.fromFile(path.join(BERT_UNCASED_DIR, 'tokenizer.json'));
  });

  it('knows the special ids and vocabulary size of bert-base-uncased', () => {
    assert.equal(tok.vocabSize, 30522);
    assert.deepEqual([tok.padId, tok.unkId, tok.clsId, tok.sepId], [0, 100, 101, 102]);
  });

  it('tokenizes known examples the way Hugging Face does', () => {
    assert.deepEqual(tok.tokenize('Hello, World! unaffable'), [
      'hello',
      ',',
      'world',
      '!',
      'una',
      '##ffa',
      '##ble',
    ]);
    assert.deepEqual(tok.tokenize('naïve café'), ['naive', 'cafe']);
    assert.deepEqual(tok.tokenize('中文 and'), ['中', '文', 'and']);
    assert.deepEqual(tok.tokenize('$5+3=<8>^`|~ ¿qué?'), [
      '$',
      '5',
      '+',
      '3',
      '=',
      '<',
      '8',
      '>',
      '^',
      '`',
      '|',
      '~',
      '¿',
      'que',
      '?',
    ]);
    assert.deepEqual(tok.tokenize('a\u200db\u00a0c\ufffd\x00d'), ['ab', 'cd']);
    assert.deepEqual(tok.tokenize(`${'a'.repeat(101)} b`), ['[UNK]', 'b']);
    assert.deepEqual(tok.tokenize('[CLS] x[SEP]'), ['[CLS]', 'x', '[SEP]']);
    assert.deepEqual(tok.tokenize(' \t\n'), []);
    const hello = tok.encode('Hello world');
    assert.deepEqual(hello, {
      inputIds: [101, 7592, 2088, 102],
      tokenTypeIds: [0, 0, 0, 0],
      attentionMask: [1, 1, 1, 1],
      truncated: false,
    });
  });

  it('matches Hugging Face tokenizers on the golden set (tricky Unicode, SST-2 and STS-B samples)', () => {
    for (const c of golden.plain) {
      const encoding = c.b === null ? tok.encode(c.a) : tok.encode(c.a, c.b);
      assert.deepEqual(encoding.inputIds, c.ids, `ids of ${JSON.stringify(c.a)}`);
      assert.deepEqual(encoding.tokenTypeIds, c.typeIds, `type ids of ${JSON.stringify(c.a)}`);
      assert.deepEqual(tok.tokenize(c.a), c.tokens.slice(1, c.b === null ? -1 : c.tokens.indexOf('[SEP]')));
    }
  });

  it('truncates longest-first exactly as Hugging Face does', () => {
    for (const c of golden.truncated) {
      const encoding = tok.encode(c.a, c.b ?? undefined, c.maxLength);
      assert.deepEqual(encoding.inputIds, c.ids, `${c.a} | ${c.b} @ ${c.maxLength}`);
      assert.deepEqual(encoding.tokenTypeIds, c.typeIds);
      assert.equal(encoding.truncated, true);
      assert.equal(encoding.attentionMask.length, c.maxLength);
    }
    assert.equal(tok.encode('one two', 'three', 10).truncated, false);
    assert.throws(() => tok.encode('a', 'b', 2), /maxLength must be an integer >= 3/);
  });

  it('tokenizes all of SST-2 train quickly (word cache)', (t) => {
    const sentences = fs
      .readFileSync(path.join(GLUE_DIR, 'SST-2/train.tsv'), 'utf8')
      .split('\n')
      .slice(1)
      .filter((l) => l !== '')
      .map((l) => l.split('\t')[0]!);
    const fresh = WordPieceTokenizer.fromFile(path.join(BERT_UNCASED_DIR, 'tokenizer.json'));
    const start = performance.now();
    let tokens = 0;
    for (const s of sentences) tokens += fresh.encode(s, undefined, 128).inputIds.length;
    const ms = performance.now() - start;
    t.diagnostic(
      `encoded ${sentences.length} SST-2 train sentences (${tokens} tokens) in ${ms.toFixed(0)} ms`,
    );
    assert.equal(sentences.length, 67349);
    assert.ok(ms < 10_000, `took ${ms} ms`);
  });

  it('cuts a long single text exactly where tokenizing all of it and truncating would', () => {
    const text =
      'an entirely watchable film, with a few good jokes [SEP] and unbelievably great heart ! '.repeat(8);
    const whole = tok.encode(text);
    for (const maxLength of [2, 3, 10, 17, 64, whole.inputIds.length - 1, whole.inputIds.length]) {
      const cut = tok.encode(text, undefined, maxLength);
      const kept = maxLength - 2;
      assert.deepEqual(
        cut.inputIds,
        [tok.clsId, ...whole.inputIds.slice(1, 1 + kept), tok.sepId],
        `maxLength ${maxLength}`,
      );
      assert.equal(cut.truncated, kept < whole.inputIds.length - 2, `truncated at maxLength ${maxLength}`);
    }
    assert.equal(tok.encode(text, undefined, whole.inputIds.length + 5).truncated, false);
  });

  it('keeps its word cache bounded however many distinct words it sees (a server tokenizes anything)', () => {
    const fresh = WordPieceTokenizer.fromFile(path.join(BERT_UNCASED_DIR, 'tokenizer.json'));
    // Distinct made-up words, as a client sending random text would.
    const word = (i: number) => `zq${i.toString(36)}x`;
    const expected = tok.tokenize(word(7));
    for (let i = 0; i < PIECE_CACHE_LIMIT + 5000; i++) fresh.tokenize(word(i));
    assert.equal(fresh.cachedWords, PIECE_CACHE_LIMIT);
    // An evicted word is tokenized again, the same.
    assert.deepEqual(fresh.tokenize(word(7)), expected);
    assert.deepEqual(fresh.tokenize('the movie'), ['the', 'movie']);
  });
});

describe('WordPieceTokenizer loading', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'eb-tokenizer-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, content: unknown): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };

  it('reads settings from tokenizer.json: continuation prefix and max chars per word', () => {
    const tok = WordPieceTokenizer.fromFile(write('mini.json', miniTokenizerJson(MINI_VOCAB)));
    assert.equal(tok.vocabSize, MINI_VOCAB.length);
    assert.deepEqual(tok.tokenize('Unaffable! aaa'), ['un', '##aff', '##able', '!', 'a', '##a', '##a']);
    assert.deepEqual(tok.tokenize('unaffablex'), ['[UNK]'], 'an unmatchable tail makes the whole word [UNK]');
    const short = miniTokenizerJson(MINI_VOCAB);
    (short.model as Record<string, unknown>).max_input_chars_per_word = 2;
    assert.deepEqual(WordPieceTokenizer.fromFile(write('short.json', short)).tokenize('aa aaa'), [
      'a',
      '##a',
      '[UNK]',
    ]);
    const noLower = miniTokenizerJson(MINI_VOCAB, {
      normalizer: { type: 'BertNormalizer', lowercase: false, strip_accents: false },
    });
    assert.deepEqual(WordPieceTokenizer.fromFile(write('cased.json', noLower)).tokenize('A a á'), [
      '[UNK]',
      'a',
      '[UNK]',
    ]);
  });

  it('falls back to vocab.txt and tokenizer_config.json in a folder without tokenizer.json', () => {
    const folder = path.join(dir, 'vocab-only');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'vocab.txt'), `${MINI_VOCAB.join('\n')}\n`);
    assert.deepEqual(WordPieceTokenizer.fromDirectory(folder).tokenize('UNAFFABLE'), [
      'un',
      '##aff',
      '##able',
    ]);
    fs.writeFileSync(path.join(folder, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: false }));
    const cased = WordPieceTokenizer.fromDirectory(folder);
    assert.deepEqual(cased.tokenize('UNAFFABLE unaffable'), ['[UNK]', 'un', '##aff', '##able']);
    assert.deepEqual([cased.padId, cased.unkId, cased.clsId, cased.sepId], [0, 1, 2, 3]);
    assert.throws(
      () => WordPieceTokenizer.fromDirectory(path.join(dir, 'missing')),
      /no tokenizer.json or vocab.txt/,
    );
  });

  it('names the file and the problem when tokenizer.json is malformed', () => {
    const cases: [unknown, RegExp][] = [
      ['{"model": ', /cannot read tokenizer JSON/],
      [[], /top level is not a JSON object/],
      [{ pre_tokenizer: { type: 'BertPreTokenizer' } }, /missing "model" object/],
      [miniTokenizerJson(MINI_VOCAB, { model: { type: 'BPE', vocab: {} } }), /only WordPiece is supported/],
      [
        miniTokenizerJson(MINI_VOCAB, { model: { vocab: { a: 'x' } } }),
        /model.vocab\["a"\] is not a valid id/,
      ],
      [
        miniTokenizerJson(MINI_VOCAB, { pre_tokenizer: { type: 'ByteLevel' } }),
        /pre_tokenizer "ByteLevel" is not supported/,
      ],
      [miniTokenizerJson(MINI_VOCAB, { normalizer: { type: 'NFC' } }), /normalizer "NFC" is not supported/],
      [miniTokenizerJson(['[PAD]', '[UNK]', '[CLS]']), /separator token "\[SEP\]" is not in the vocabulary/],
      [
        miniTokenizerJson(MINI_VOCAB, { added_tokens: [{ id: -1, content: 'x' }] }),
        /added_tokens\[0\] needs/,
      ],
    ];
    cases.forEach(([content, problem], i) => {
      const file = write(`bad-${i}.json`, content);
      assert.throws(
        () => WordPieceTokenizer.fromFile(file),
        (err: Error) => err.message.startsWith(file) && problem.test(err.message),
      );
    });
  });
});
