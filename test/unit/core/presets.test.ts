import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { snakeFieldPath, underField } from '../../../efficientbert/core/field-errors';
import { isPresetName, PRESET_NAMES } from '../../../efficientbert/core/presets';
import { GLUE_TASKS } from '../../../efficientbert/data/glue';
import { GLUE_TASK_NAMES } from '../../../efficientbert/data/task-names';
import { PLAN_PRESETS } from '../../../efficientbert/search/plan/presets';
import { PRESETS } from '../../../efficientbert/space/presets';

describe('core names', () => {
  it('one preset list keys the student shapes and the search plans', () => {
    assert.deepEqual(Object.keys(PRESETS), [...PRESET_NAMES]);
    assert.deepEqual(Object.keys(PLAN_PRESETS), [...PRESET_NAMES]);
    assert.ok(isPresetName('paper') && !isPresetName('huge') && !isPresetName(undefined));
    for (const name of PRESET_NAMES) assert.equal(PLAN_PRESETS[name].layers, PRESETS[name].layers);
  });

  it('the pure GLUE name list is the readers registry', () => {
    assert.deepEqual(Object.keys(GLUE_TASKS), [...GLUE_TASK_NAMES]);
  });

  it('field paths: snake_case and nesting', () => {
    assert.equal(
      snakeFieldPath('method.weightSharing.trainFraction'),
      'method.weight_sharing.train_fraction',
    );
    assert.deepEqual(underField('spec', [{ field: 'preset', message: 'x' }]), [
      { field: 'spec.preset', message: 'x' },
    ]);
  });
});
