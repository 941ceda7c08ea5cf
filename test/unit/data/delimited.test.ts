import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseDelimited,
  readDelimitedRecords,
  readJsonlRecords,
} from '../../../efficientbert/data/delimited';
import { dataFileErrorOf } from '../../helpers/data-file-error';

describe('parseDelimited (RFC 4180)', () => {
  it('reads quoted fields with commas, newlines and escaped quotes, and keeps start lines', () => {
    const text = 'text,label\n"a, b",x\n"two\nlines",y\r\n"say ""hi""",z\n\nplain,w';
    assert.deepEqual(parseDelimited(text, 'f.csv', ','), [
      { line: 1, fields: ['text', 'label'] },
      { line: 2, fields: ['a, b', 'x'] },
      { line: 3, fields: ['two\nlines', 'y'] },
      { line: 5, fields: ['say "hi"', 'z'] },
      { line: 7, fields: ['plain', 'w'] },
    ]);
  });

  it('strips a BOM and CRLF, keeps empty fields and bare quotes inside unquoted fields', () => {
    const text = '\ufeffa\tb\r\nit\'s a "gem"\t\r\n';
    assert.deepEqual(parseDelimited(text, 'f.tsv', '\t'), [
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['it\'s a "gem"', ''] },
    ]);
  });

  it('names the line an unterminated quote opened on', () => {
    const e = dataFileErrorOf(() =>
      parseDelimited('text,label\nok,x\n"never closed,y\nmore,z\n', 'train.csv', ','),
    );
    assert.equal(e.message, 'train.csv:3: unterminated quoted field');
  });

  it('rejects text after a closing quote', () => {
    const e = dataFileErrorOf(() => parseDelimited('text,label\n"a"b,x\n', 'train.csv', ','));
    assert.equal(e.line, 2);
    assert.match(e.problem, /after a closing quote/);
  });
});

describe('readDelimitedRecords', () => {
  it('keys fields by the header', () => {
    const { header, records } = readDelimitedRecords('text,label\nhi,a\n', 'f.csv', ',');
    assert.deepEqual(header, ['text', 'label']);
    assert.deepEqual(records, [{ line: 2, values: { text: 'hi', label: 'a' } }]);
  });

  it('names a row whose width differs from the header', () => {
    const e = dataFileErrorOf(() =>
      readDelimitedRecords('text,label\nhi,a\nhello,b,extra\n', 'dev.csv', ','),
    );
    assert.equal(e.message, 'dev.csv:3: expected 2 comma-separated fields (as the header), found 3');
  });

  it('rejects an empty file and a repeated header column', () => {
    assert.match(
      dataFileErrorOf(() => readDelimitedRecords('', 'f.csv', ',')).message,
      /^f.csv:1: empty file/,
    );
    assert.match(
      dataFileErrorOf(() => readDelimitedRecords('a,a\n1,2\n', 'f.csv', ',')).problem,
      /repeats column "a"/,
    );
  });
});

describe('readJsonlRecords', () => {
  it('reads one object per line, skipping blank lines', () => {
    assert.deepEqual(readJsonlRecords('{"text":"a","label":1}\n\n{"text":"b","label":"x"}\n', 'f.jsonl'), [
      { line: 1, values: { text: 'a', label: 1 } },
      { line: 3, values: { text: 'b', label: 'x' } },
    ]);
  });

  it('names the line of invalid JSON and of a non-object', () => {
    assert.match(
      dataFileErrorOf(() => readJsonlRecords('{"a":1}\n{"a":\n', 'f.jsonl')).message,
      /^f.jsonl:2: not valid JSON/,
    );
    assert.equal(
      dataFileErrorOf(() => readJsonlRecords('[1,2]\n', 'f.jsonl')).message,
      'f.jsonl:1: expected a JSON object',
    );
  });
});
