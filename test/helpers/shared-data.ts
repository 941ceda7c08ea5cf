/**
 * The read-only data set beside the project (see ../shared/data/README.md). CI always has it, so a
 * missing copy is a broken setup: tests fail with a message saying where it was looked for.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export const SHARED_DATA = path.resolve(__dirname, '../../../shared/data');
export const GLUE_DIR = path.join(SHARED_DATA, 'glue');
export const BERT_UNCASED_DIR = path.join(SHARED_DATA, 'bert-base-uncased');

if (!existsSync(path.join(BERT_UNCASED_DIR, 'tokenizer.json'))) {
  throw new Error(
    `the shared data set is missing: expected ${BERT_UNCASED_DIR}/tokenizer.json ` +
      '(check out the project with ../shared beside it)',
  );
}
