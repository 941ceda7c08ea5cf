import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readUserTask } from '../../../efficientbert/data/user-data';
import type { DataFormat, UserDataSpec } from '../../../efficientbert/search/data-spec';
import { dataFileErrorOf } from '../../helpers/data-file-error';

function spec(overrides: Partial<UserDataSpec> = {}, format: DataFormat = 'csv'): UserDataSpec {
  return {
    name: 'intent',
    kind: 'classification',
    train: { ref: 'sha256:0', format, filename: `train.${format}` },
    dev: { ref: 'sha256:1', format, filename: `dev.${format}` },
    columns: { text: 'text', label: 'label' },
    ...overrides,
  };
}

const TRAIN = 'text,label\nplay ball,sports\nbake bread,cooking\nrain today,weather\nscore a goal,sports\n';
const DEV = 'text,label\nsunny later,weather\nstir the soup,cooking\n';

describe('readUserTask', () => {
  it('takes the labels from the train file, sorted, and maps both splits onto them', () => {
    const task = readUserTask(spec(), TRAIN, DEV);
    assert.deepEqual(task.labels, ['cooking', 'sports', 'weather']);
    assert.deepEqual(task.metrics, ['accuracy']);
    assert.deepEqual(
      task.train.map((e) => e.label),
      [1, 0, 2, 1],
    );
    assert.deepEqual(task.dev, [
      { textA: 'sunny later', label: 2 },
      { textA: 'stir the soup', label: 0 },
    ]);
  });

  it("takes the label order a spec gives (a teacher's id order), and names a row outside it", () => {
    const ordered = spec({ labels: ['weather', 'sports', 'cooking', 'music'] });
    const task = readUserTask(ordered, TRAIN, DEV);
    assert.deepEqual(task.labels, ['weather', 'sports', 'cooking', 'music']);
    assert.deepEqual(
      task.train.map((e) => e.label),
      [1, 2, 0, 1],
    );
    assert.deepEqual(
      task.dev.map((e) => e.label),
      [0, 2],
    );
    const err = dataFileErrorOf(() => readUserTask(spec({ labels: ['weather', 'sports'] }), TRAIN, DEV));
    assert.equal(
      err.message,
      'train.csv:3: label "cooking" is not in the search\'s labels (weather, sports)',
    );
  });

  it('reads pairs, TSV and JSONL (numeric labels become their text)', () => {
    const pairs = spec({ columns: { text: 'q', textPair: 'a', label: 'y' } }, 'tsv');
    const tsv = 'q\ta\ty\nx?\tyes\t1\nz?\tno\t0\n';
    assert.deepEqual(readUserTask(pairs, tsv, tsv).train[0], { textA: 'x?', textB: 'yes', label: 1 });
    const jsonl = '{"text":"a","label":0}\n{"text":"b","label":1}\n';
    assert.deepEqual(readUserTask(spec({}, 'jsonl'), jsonl, jsonl).labels, ['0', '1']);
  });

  it('reads regression scores as numbers, with Pearson and Spearman', () => {
    const file = 'text,label\na,0.5\nb,4\n';
    const task = readUserTask(spec({ kind: 'regression' }), file, file);
    assert.deepEqual(task.labels, []);
    assert.deepEqual(task.metrics, ['pearson', 'spearman']);
    assert.deepEqual(
      task.dev.map((e) => e.label),
      [0.5, 4],
    );
  });

  it('names file, line and problem for each kind of bad data', () => {
    const cases: [string, () => unknown, string][] = [
      [
        'missing column',
        () => readUserTask(spec({ columns: { text: 'sentence', label: 'label' } }), TRAIN, DEV),
        'train.csv:1: header has no "sentence" column (found: text, label)',
      ],
      [
        'empty text',
        () => readUserTask(spec(), 'text,label\nok,a\n  ,b\n', DEV),
        'train.csv:3: empty text in column "text"',
      ],
      [
        'empty label',
        () => readUserTask(spec(), 'text,label\nok,a\nfine,\n', DEV),
        'train.csv:3: empty label in column "label"',
      ],
      [
        'regression label not numeric',
        () => readUserTask(spec({ kind: 'regression' }), 'text,label\na,1\nb,high\n', 'text,label\na,1\n'),
        'train.csv:3: label "high" is not a number (regression)',
      ],
      [
        'dev label not in train',
        () => readUserTask(spec(), TRAIN, 'text,label\nhmm,sports\nwhat,politics\n'),
        'dev.csv:3: label "politics" is not in the train file\'s labels (cooking, sports, weather)',
      ],
      [
        'one label only',
        () => readUserTask(spec(), 'text,label\na,x\nb,x\n', DEV),
        'train.csv:2: classification needs at least 2 labels, the file has only "x"',
      ],
      [
        'no rows',
        () => readUserTask(spec(), 'text,label\n', DEV),
        'train.csv:1: no examples after the header',
      ],
      [
        'unterminated quote in dev',
        () => readUserTask(spec(), TRAIN, 'text,label\n"open,sports\n'),
        'dev.csv:2: unterminated quoted field',
      ],
      [
        'jsonl key missing',
        () => readUserTask(spec({}, 'jsonl'), '{"text":"a","label":"x"}\n{"text":"b"}\n', ''),
        'train.jsonl:2: no "label" field',
      ],
      [
        'jsonl text not a string',
        () => readUserTask(spec({}, 'jsonl'), '{"text":3,"label":"x"}\n', ''),
        'train.jsonl:1: "text" must be a string',
      ],
    ];
    for (const [what, fn, message] of cases) assert.equal(dataFileErrorOf(fn).message, message, what);
  });

  it('marks a missing column with its role, so the gateway can name the request field', () => {
    const e = dataFileErrorOf(() =>
      readUserTask(spec({ columns: { text: 'text', label: 'intent' } }), TRAIN, DEV),
    );
    assert.equal(e.column, 'label');
  });
});
