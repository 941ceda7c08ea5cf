/** The DataFileError a call throws (failing the test when it throws nothing or something else). */
import assert from 'node:assert/strict';
import { DataFileError } from '../../efficientbert/data/delimited';

export function dataFileErrorOf(fn: () => unknown): DataFileError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DataFileError, `expected a DataFileError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an error');
}
