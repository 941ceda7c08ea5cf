import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Prng } from '../../../efficientbert/core/prng';
import type { TaskCatalog, TaskDefinition } from '../../../efficientbert/data/tasks';
import {
  isTeacherSetManifest,
  kdTasksOf,
  teacherSet,
  teacherSetManifest,
} from '../../../efficientbert/distill/teacher-set';
import { selectBackend } from '../../../efficientbert/model/backend';
import { copyEncoder, Teacher } from '../../../efficientbert/model/teacher';
import { methodOf, PLAN_PRESETS } from '../../../efficientbert/search';

const config = (numLabels: number) => ({
  vocabSize: 30,
  hidden: 8,
  layers: 1,
  heads: 2,
  intermediate: 16,
  hiddenAct: 'gelu' as const,
  maxPositions: 8,
  typeVocab: 2,
  layerNormEps: 1e-12,
  dropout: 0.1,
  numLabels,
});
const DEFINITIONS: Record<string, Pick<TaskDefinition, 'kind' | 'labels'>> = {
  two: { kind: 'classification', labels: ['n', 'y'] },
  three: { kind: 'classification', labels: ['a', 'b', 'c'] },
  score: { kind: 'regression', labels: [] },
};
const catalog = {
  definition: (task: string) => DEFINITIONS[task] as TaskDefinition,
  examples: () => [],
} as unknown as TaskCatalog;

describe('teacher sets', () => {
  before(async () => {
    await selectBackend('wasm', () => {});
  });

  it("a task's own teacher comes first; the general one serves only a task its head fits", () => {
    const general = Teacher.random(config(2), Prng.fromSeed(1));
    const three = Teacher.random(config(3), Prng.fromSeed(2));
    const set = teacherSet(general, new Map([['three', three]]), catalog);
    assert.equal(set.forTask('three'), three);
    assert.equal(set.forTask('two'), general);
    assert.throws(() => set.forTask('score'), /no teacher for task 'score': the teacher has 2 outputs/);
    general.dispose();
    three.dispose();
  });

  it('a task teacher starts from the general encoder and keeps its own head', () => {
    const general = Teacher.random(config(0), Prng.fromSeed(3));
    const task = Teacher.random(config(3), Prng.fromSeed(4));
    const head = task.params.toArrays().get('classifier.weight')!.data.slice();
    copyEncoder(general, task);
    const g = general.params.toArrays();
    const t = task.params.toArrays();
    for (const [name, v] of g) assert.deepEqual(t.get(name)!.data, v.data, name);
    assert.deepEqual(t.get('classifier.weight')!.data, head);
    assert.throws(() => copyEncoder(general, Teacher.random({ ...config(3), hidden: 12 }, Prng.fromSeed(5))));
    general.dispose();
    task.dispose();
  });

  it('the stored form is sorted by task, recognizable, and lists every task a training fine-tunes on', () => {
    const m = teacherSetManifest('sha256:g', { stsb: 'sha256:b', sst2: 'sha256:a' });
    assert.deepEqual(Object.keys(m.tasks), ['sst2', 'stsb']);
    assert.ok(isTeacherSetManifest(JSON.parse(JSON.stringify(m))));
    assert.ok(!isTeacherSetManifest({ kind: 'efficientbert.dir-manifest' }));
    assert.deepEqual(kdTasksOf(methodOf(PLAN_PRESETS.tiny)), ['sst2', 'stsb']);
    assert.equal(kdTasksOf(methodOf(PLAN_PRESETS.paper)).length, 8);
  });
});
