/**
 * A small random BertForSequenceClassification written by PyPI transformers itself
 * (test/fixtures/python/make_hf_bert.py), in every weights layout: OUT/st save_pretrained's
 * model.safetensors, OUT/st-sharded its sharded safetensors, OUT/bin torch.save's
 * pytorch_model.bin, OUT/bin-sharded pytorch_model shards with their index, each with the
 * tokenizer; OUT/expected.json transformers' logits.
 * The Python side comes from `npm run setup` (requirements-dev.txt); when it is missing the test
 * fails and says so, since skipping would hide a broken CI set-up.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const SCRIPT = path.resolve(__dirname, '../fixtures/python/make_hf_bert.py');

export function makeHfBertFolders(out: string): void {
  const py = spawnSync('python3', [SCRIPT, out], { encoding: 'utf8' });
  if (py.error || py.status !== 0) {
    assert.fail(
      `the transformers reference could not be built (run \`npm run setup\`, which installs torch and transformers from requirements-dev.txt):\n${py.error?.message ?? py.stderr}`,
    );
  }
}
