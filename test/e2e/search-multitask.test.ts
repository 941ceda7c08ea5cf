/**
 * A `paper`-shaped multi-task search at toy sizes, with the real (tfjs) trainer: the warm-up task
 * is a user's 3-class CSV, and stage 3's weight sharing and the final training fine-tune on it,
 * on SST-2 (2 classes) and on STS-B (regression) together. With one teacher for all tasks this
 * crashed on the first 2-class batch ([B,3] teacher logits vs [B,2]); now the warm-up fine-tunes a
 * teacher per task and every task's KD uses its own. Runs in-process (the same driver and
 * activity code as the Temporal workflows) so it takes about a minute on 2 cores.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DirArtifactStore } from '../../efficientbert/artifacts';
import type { TeacherSetManifest } from '../../efficientbert/distill/teacher-set';
import { teacherConfigFromHf } from '../../efficientbert/model/teacher-config';
import { resolveSearchSpec, type SearchOutcome } from '../../efficientbert/search';
import { runSearchInProcess } from '../../workflows/in-process';
import { SHARED_DATA } from '../helpers/shared-data';
import { topicCsv, topicRows } from '../helpers/topic-csv';

const TASKS = ['topic', 'sst2', 'stsb'];

describe('a multi-task search with 2-class, 3-class and regression tasks', { timeout: 900_000 }, () => {
  let root: string;
  let store: DirArtifactStore;
  let outcome: SearchOutcome;

  before(async () => {
    root = await fs.mkdtemp(path.join(tmpdir(), 'eb-multitask-'));
    store = new DirArtifactStore(path.join(root, 'artifacts'));
    const file = async (rows: [string, string][], filename: string) => ({
      ref: await store.putBytes(Buffer.from(topicCsv(rows))),
      format: 'csv' as const,
      filename,
    });
    const few = (pretrainSteps: number, finetuneSteps: number) => ({
      pretrainSteps,
      finetuneSteps,
      batchSize: 8,
    });
    const spec = resolveSearchSpec({
      preset: 'tiny',
      tasks: [],
      seed: 14,
      dataDir: SHARED_DATA,
      data: {
        name: 'topic',
        kind: 'classification',
        train: await file(topicRows(150, 0), 'train.csv'),
        dev: await file(topicRows(30, 7), 'dev.csv'),
        columns: { text: 'utterance', label: 'topic' },
      },
      parallelism: 1,
      batchSize: 2,
      stages: { stage1: 2, stage2: 2, stage3: 2 },
      budget: { checkpointEvery: 1000 },
      method: {
        warmup: { ...few(10, 10), teacher: { steps: 20 }, trainFraction: 0.02 },
        proxy: { ...few(4, 6), trainFraction: 0.6, heldOutFraction: 0.3 },
        weightSharing: { ...few(6, 12), tasks: TASKS, trainFraction: 0.01 },
        scoring: { heldOutFraction: 0.3 },
        final: { ...few(6, 6), tasks: TASKS },
      },
    });
    outcome = await runSearchInProcess('multitask', spec, { store, trainer: 'kd' });
  });

  after(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('runs to the end and exports a model per task', async () => {
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.cancelled, false);
    assert.equal(outcome.sharing?.status, 'ok', outcome.sharing?.error);
    assert.equal(outcome.final?.status, 'ok', outcome.final?.error);
    const metrics = outcome.final!.metrics ?? {};
    for (const key of ['topic.accuracy', 'sst2.accuracy', 'stsb.pearson'])
      assert.ok(Number.isFinite(metrics[key]), `${key} in ${JSON.stringify(metrics)}`);
    const repo = path.join(root, 'repo');
    await store.getDir(outcome.final!.modelRef!, repo);
    assert.deepEqual((await fs.readdir(repo)).sort(), TASKS.map((t) => `multitask-${t}`).sort());
  });

  it("gives every task its own teacher, with that task's head", async () => {
    const set = await store.getJson<TeacherSetManifest>(outcome.warmup!.teacherRef!);
    assert.deepEqual(Object.keys(set.tasks), ['sst2', 'stsb', 'topic']);
    // The general teacher was trained on the warm-up task; the others were fine-tuned from it.
    assert.equal(set.tasks.topic, set.general);
    assert.equal(new Set(Object.values(set.tasks)).size, 3);
    const outputs: Record<string, number> = {};
    for (const [task, ref] of Object.entries(set.tasks)) {
      const dir = path.join(root, `teacher-${task}`);
      await store.getDir(ref, dir);
      const config = path.join(dir, 'config.json');
      outputs[task] = teacherConfigFromHf(JSON.parse(await fs.readFile(config, 'utf8')), config).numLabels;
    }
    assert.deepEqual(outputs, { sst2: 2, stsb: 1, topic: 3 });
  });
});
