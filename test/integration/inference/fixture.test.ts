import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { writeTinyClassifier } from '../../fixtures/tiny-classifier';
import { assertClose, tempRepository } from './harness';

const hasOnnxChecker = spawnSync('python3', ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;

describe('tiny classifier fixture', () => {
  const repo = tempRepository();
  after(() => repo.remove());
  const fixture = writeTinyClassifier(repo.dir, { name: 'tiny', version: 1, seed: 8 });
  const modelPath = join(fixture.versionDir, 'model.onnx');

  it('runs in ONNX Runtime with dynamic batch and sequence, matching its JS reference', async () => {
    const session = await ort.InferenceSession.create(modelPath);
    const ids = [101, 2009, 2001, 102, 0, 101, 2307, 102, 0, 0];
    const mask = [1, 1, 1, 1, 0, 1, 1, 1, 0, 0];
    const types = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const tensor = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [2, 5]);
    const out = await session.run({
      input_ids: tensor(ids),
      attention_mask: tensor(mask),
      token_type_ids: tensor(types),
    });
    assert.deepEqual(out.logits!.dims, [2, 2]);
    const want = [0, 1].flatMap((r) =>
      fixture.reference(ids.slice(r * 5, r * 5 + 5), types, mask.slice(r * 5, r * 5 + 5)),
    );
    assertClose([...(out.logits!.data as Float32Array)], want);
    await session.release();
  });

  it('passes the ONNX checker (full check, opset 17)', {
    skip: hasOnnxChecker ? false : 'python onnx not installed',
  }, () => {
    const check = spawnSync(
      'python3',
      [
        '-c',
        'import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True)',
        modelPath,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(check.status, 0, check.stderr);
  });
});
