import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GLUE_TASKS, glueTask, readGlueSplit } from '../../../efficientbert/data/glue';
import { GLUE_DIR } from '../../helpers/shared-data';

const tsv = (rows: string[][]): string => `${rows.map((r) => r.join('\t')).join('\n')}\n`;

// Small files in each task's canonical GLUE layout (header names and column order as distributed).
const FIXTURES: Record<string, Record<string, string>> = {
  'SST-2': {
    'train.tsv': tsv([
      ['sentence', 'label'],
      ['a "quoted" gem ', '1'],
      ['dull', '0'],
    ]),
  },
  CoLA: {
    'train.tsv': tsv([
      ['gj04', '1', '', 'Our friends will buy it.'],
      ['gj04', '0', '*', 'Buy it friends will our.'],
    ]),
    'dev.tsv': tsv([
      ['The cat sat.', '1'],
      ['Sat cat the.', '0'],
    ]),
  },
  'STS-B': {
    'train.tsv': tsv([
      [
        'index',
        'genre',
        'filename',
        'year',
        'old_index',
        'source1',
        'source2',
        'sentence1',
        'sentence2',
        'score',
      ],
      [
        '0',
        'main-captions',
        'MSRvid',
        '2012test',
        '0001',
        'none',
        'none',
        'A plane.',
        'An air plane.',
        '5.000',
      ],
      ['1', 'main-captions', 'MSRvid', '2012test', '0004', 'none', 'none', 'A flute.', 'A drum.', '0.750'],
    ]),
  },
  MRPC: {
    'train.tsv': tsv([
      ['Quality', '#1 ID', '#2 ID', '#1 String', '#2 String'],
      ['1', '702876', '702977', 'He said "yes".', 'He agreed.'],
      ['0', '2108705', '2108831', 'Shares rose.', 'It rained.'],
    ]),
  },
  RTE: {
    'train.tsv': tsv([
      ['index', 'sentence1', 'sentence2', 'label'],
      ['0', 'No weapons were found.', 'Weapons were found.', 'not_entailment'],
      ['1', 'A dog barks.', 'An animal makes noise.', 'entailment'],
    ]),
  },
  QNLI: {
    'train.tsv': tsv([
      ['index', 'question', 'sentence', 'label'],
      ['0', 'Who wrote it?', 'It was written by Ann.', 'entailment'],
    ]),
  },
  QQP: {
    'train.tsv': tsv([
      ['id', 'qid1', 'qid2', 'question1', 'question2', 'is_duplicate'],
      ['133273', '213221', '213222', 'How do I learn?', 'How can I learn?', '1'],
      ['402555', '536040', '536041', 'Why?', 'Where?', '0'],
    ]),
  },
  MNLI: {
    'train.tsv': tsv([
      [
        'index',
        'promptID',
        'pairID',
        'genre',
        'sentence1_binary_parse',
        'sentence2_binary_parse',
        'sentence1_parse',
        'sentence2_parse',
        'sentence1',
        'sentence2',
        'label1',
        'gold_label',
      ],
      [
        '0',
        '31193',
        '31193n',
        'government',
        '( a )',
        '( b )',
        '(ROOT a)',
        '(ROOT b)',
        'Premise.',
        'Hypothesis.',
        'neutral',
        'neutral',
      ],
    ]),
    'dev_matched.tsv': tsv([
      ['index', 'promptID', 'pairID', 'genre', 'sentence1', 'sentence2', 'label1', 'label2', 'gold_label'],
      ['0', '1', '1e', 'fiction', 'P1.', 'H1.', 'entailment', 'entailment', 'entailment'],
    ]),
    'dev_mismatched.tsv': tsv([
      ['index', 'promptID', 'pairID', 'genre', 'sentence1', 'sentence2', 'label1', 'label2', 'gold_label'],
      ['0', '2', '2c', 'letters', 'P2.', 'H2.', 'contradiction', 'neutral', 'contradiction'],
    ]),
  },
};

describe('GLUE readers (fixtures)', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'eb-glue-'));
    for (const [folder, files] of Object.entries(FIXTURES)) {
      fs.mkdirSync(path.join(dir, folder));
      for (const [name, content] of Object.entries(files))
        fs.writeFileSync(path.join(dir, folder, name), content);
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads every task in its canonical layout, keeping quotes and spaces verbatim', () => {
    assert.deepEqual(readGlueSplit(dir, 'sst2', 'train'), [
      { textA: 'a "quoted" gem ', label: 1 },
      { textA: 'dull', label: 0 },
    ]);
    assert.deepEqual(readGlueSplit(dir, 'stsb', 'train'), [
      { textA: 'A plane.', textB: 'An air plane.', label: 5 },
      { textA: 'A flute.', textB: 'A drum.', label: 0.75 },
    ]);
    assert.deepEqual(readGlueSplit(dir, 'mrpc', 'train'), [
      { textA: 'He said "yes".', textB: 'He agreed.', label: 1 },
      { textA: 'Shares rose.', textB: 'It rained.', label: 0 },
    ]);
    assert.deepEqual(
      readGlueSplit(dir, 'rte', 'train').map((e) => e.label),
      [1, 0],
    );
    assert.deepEqual(readGlueSplit(dir, 'qnli', 'train'), [
      { textA: 'Who wrote it?', textB: 'It was written by Ann.', label: 0 },
    ]);
    assert.deepEqual(
      readGlueSplit(dir, 'qqp', 'train').map((e) => [e.textA, e.label]),
      [
        ['How do I learn?', 1],
        ['Why?', 0],
      ],
    );
    assert.deepEqual(readGlueSplit(dir, 'mnli', 'train'), [
      { textA: 'Premise.', textB: 'Hypothesis.', label: 2 },
    ]);
    assert.deepEqual(readGlueSplit(dir, 'mnli', 'dev_matched'), [{ textA: 'P1.', textB: 'H1.', label: 1 }]);
    assert.deepEqual(readGlueSplit(dir, 'mnli', 'dev_mismatched'), [
      { textA: 'P2.', textB: 'H2.', label: 0 },
    ]);
  });

  it('auto-detects the CoLA layout: canonical 4 columns or our 2-column copy', () => {
    assert.deepEqual(readGlueSplit(dir, 'cola', 'train'), [
      { textA: 'Our friends will buy it.', label: 1 },
      { textA: 'Buy it friends will our.', label: 0 },
    ]);
    assert.deepEqual(readGlueSplit(dir, 'cola', 'dev'), [
      { textA: 'The cat sat.', label: 1 },
      { textA: 'Sat cat the.', label: 0 },
    ]);
  });

  it('describes each task in the registry', () => {
    assert.deepEqual(Object.keys(GLUE_TASKS).sort(), [
      'cola',
      'mnli',
      'mrpc',
      'qnli',
      'qqp',
      'rte',
      'sst2',
      'stsb',
    ]);
    assert.equal(glueTask('stsb').kind, 'regression');
    assert.deepEqual(glueTask('stsb').metrics, ['pearson', 'spearman']);
    assert.deepEqual(glueTask('cola').metrics, ['mcc']);
    assert.deepEqual(glueTask('mnli').labels, ['contradiction', 'entailment', 'neutral']);
    assert.throws(() => glueTask('wnli2'), /unknown GLUE task "wnli2"/);
    assert.throws(() => readGlueSplit(dir, 'sst2', 'test'), /task sst2 has no split "test"/);
  });

  it('reports malformed files with path, 1-based line number and the problem', () => {
    const bad = (name: string, content: string) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, content);
      return file;
    };
    const cases: [string, string, RegExp][] = [
      ['sst2', 'sentence\tlabel\ngood\t1\nbad\t2\n', /:3: bad label "2", expected one of 0, 1/],
      ['sst2', 'sentence\tlabel\ngood\t1\ttoo many\n', /:2: expected 2 tab-separated columns, found 3/],
      ['sst2', 'text\tlabel\ngood\t1\n', /:1: header has no "sentence" column/],
      ['sst2', '', /:1: empty file/],
      ['stsb', 'sentence1\tsentence2\tscore\na\tb\tfive\n', /:2: bad label "five", expected a number/],
      [
        'rte',
        'index\tsentence1\tsentence2\tlabel\n0\ta\tb\tmaybe\n',
        /:2: bad label "maybe", expected one of entailment/,
      ],
      ['cola', 'ok\t1\nbroken line\n', /:2: expected 2 tab-separated columns, found 1/],
      ['cola', 'a\tb\tc\n', /:1: expected 4 columns .* or 2 .*, found 3/],
      ['cola', 'src\tx\t\tsentence\n', /:1: bad label "x", expected 0 or 1/],
    ];
    cases.forEach(([task, content, problem], i) => {
      const file = bad(`bad-${i}.tsv`, content);
      assert.throws(
        () => glueTask(task).read(file),
        (err: Error) => err.message.startsWith(`${file}:`) && problem.test(err.message),
        `case ${i}`,
      );
    });
    assert.throws(() => glueTask('sst2').read(path.join(dir, 'nope.tsv')), /nope\.tsv: cannot read/);
  });

  it('accepts CRLF line endings and a byte order mark', () => {
    const file = path.join(dir, 'crlf.tsv');
    fs.writeFileSync(file, '\ufeffsentence\tlabel\r\nfine\t1\r\n');
    assert.deepEqual(glueTask('sst2').read(file), [{ textA: 'fine', label: 1 }]);
  });
});

describe('GLUE readers (shared data)', () => {
  it('reads the real SST-2, CoLA and STS-B files with their known row counts', () => {
    const counts = Object.fromEntries(
      ['sst2', 'cola', 'stsb'].flatMap((task) =>
        ['train', 'dev'].map((split) => [`${task}/${split}`, readGlueSplit(GLUE_DIR, task, split).length]),
      ),
    );
    assert.deepEqual(counts, {
      'sst2/train': 67349,
      'sst2/dev': 872,
      'cola/train': 8551,
      'cola/dev': 516,
      'stsb/train': 5749,
      'stsb/dev': 1500,
    });
    const stsb = readGlueSplit(GLUE_DIR, 'stsb', 'train');
    assert.deepEqual(stsb[0], {
      textA: 'A plane is taking off.',
      textB: 'An air plane is taking off.',
      label: 5,
    });
    assert.ok(stsb.every((e) => e.label >= 0 && e.label <= 5));
    const sst2 = readGlueSplit(GLUE_DIR, 'sst2', 'dev');
    assert.ok(sst2.every((e) => e.label === 0 || e.label === 1));
  });
});
