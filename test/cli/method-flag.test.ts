/**
 * `search start --method`: the JSON becomes spec.method as it is, and every field name and value
 * kind is checked against search.proto first, since protobufjs would drop a misspelt field
 * silently and the search would run on the preset's value.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { UsageError } from '../../services/cli/command';
import { methodFromFlag } from '../../services/cli/search/method-flag';
import { startRequestFromFlags } from '../../services/cli/search/spec-flags';

describe('search start --method', () => {
  it('puts the settings into spec.method, inline or from @FILE', () => {
    const json =
      '{"warmup":{"finetune_steps":600,"teacher":{"finetune_learning_rate":2e-5}},"final":{"tasks":["sst2"]}}';
    const inline = startRequestFromFlags({ method: json }, '');
    assert.deepEqual(inline.spec.method, JSON.parse(json));
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'eb-method-')), 'method.json');
    fs.writeFileSync(file, json);
    assert.deepEqual(methodFromFlag(`@${file}`), JSON.parse(json));
    assert.equal(startRequestFromFlags({}, '').spec.method, null);
  });

  it('accepts an enum by its value name', () => {
    assert.deepEqual(methodFromFlag('{"warmup":{"task_finetune":"WARMUP_TASK_FINETUNE_OFF"}}'), {
      warmup: { task_finetune: 'WARMUP_TASK_FINETUNE_OFF' },
    });
  });

  const refused: [string, RegExp][] = [
    [
      '{"warmup":{"finetune_step":600}}',
      /unknown field 'warmup\.finetune_step' \(WarmupTraining has teacher, pretrain_steps/,
    ],
    ['{"warmups":{}}', /unknown field 'warmups' \(MethodSettings has warmup, proxy/],
    ['{"warmup":{"finetune_steps":"600"}}', /warmup\.finetune_steps must be a number \(uint32\)/],
    ['{"final":{"tasks":"sst2"}}', /final\.tasks must be a list/],
    ['{"warmup":5}', /warmup must be an object \(WarmupTraining\)/],
    ['[1]', /the value must be an object \(MethodSettings\)/],
    ['{"warmup":', /not JSON/],
    ['@/no/such/method.json', /cannot read \/no\/such\/method\.json/],
  ];
  for (const [flag, message] of refused) {
    it(`refuses ${flag} with a usage error naming the problem`, () => {
      assert.throws(
        () => methodFromFlag(flag),
        (err: unknown) =>
          err instanceof UsageError && message.test(err.message) && /^--method: /.test(err.message),
      );
    });
  }
});
