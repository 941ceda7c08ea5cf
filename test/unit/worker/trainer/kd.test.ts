/**
 * The real (tfjs) trainer at toy sizes: checkpoint chunking never changes a result, a training
 * resumed from any of its checkpoints ends exactly where the uninterrupted one does, and the
 * warm-up → proxy → sharing → score → final chain produces what the next step needs.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DirArtifactStore } from '../../../../efficientbert/artifacts';
import type { TeacherSetManifest } from '../../../../efficientbert/distill/teacher-set';
import { loadTeacher } from '../../../../efficientbert/model/teacher';
import { type CandidateStage, methodOf, PLAN_PRESETS } from '../../../../efficientbert/search';
import { kdTrainer, modelName } from '../../../../services/worker/trainer/kd';
import {
  TRAINER_PROTOCOL,
  type TrainerJob,
  type TrainerResult,
  type TrainerToParent,
} from '../../../../services/worker/trainer/protocol';
import { SHARED_DATA } from '../../../helpers/shared-data';

const ARCH = 'linear2_1(gelu(linear2_1(x,wb1)),wb2), linear1_3(relu(linear1_3(x,wb1)),wb2)';
const tiny = methodOf(PLAN_PRESETS.tiny);
/** The tiny preset's trainings cut to a few steps on a sliver of SST-2: seconds, not minutes. */
const METHOD = {
  ...tiny,
  warmup: {
    ...tiny.warmup,
    teacher: { ...tiny.warmup.teacher, steps: 6 },
    pretrainSteps: 4,
    finetuneSteps: 4,
    batchSize: 8,
    trainFraction: 0.01,
  },
  proxy: {
    ...tiny.proxy,
    pretrainSteps: 6,
    finetuneSteps: 8,
    batchSize: 8,
    // 20 examples: a 3-step epoch, so the reward is the best of the scores at steps 3, 6 and 8
    // and a resume from step 10 must bring back the best weights so far.
    trainFraction: 0.0003,
    heldOutFraction: 0.005,
  },
  weightSharing: {
    ...tiny.weightSharing,
    pretrainSteps: 4,
    finetuneSteps: 6,
    batchSize: 8,
    trainFraction: 0.02,
  },
  scoring: { ...tiny.scoring, heldOutFraction: 0.005 },
  final: { ...tiny.final, pretrainSteps: 4, finetuneSteps: 4, batchSize: 8 },
};

describe('kd trainer (tfjs, toy sizes)', { timeout: 300_000 }, () => {
  let root: string;
  let store: DirArtifactStore;
  let warm: TrainerResult;

  const job = (stage: CandidateStage, extra: Partial<TrainerJob> = {}): TrainerJob => ({
    protocol: TRAINER_PROTOCOL,
    candidate: {
      searchId: 'unit',
      id: stage === 'stage1' ? 'stage1-0000' : stage,
      stage,
      index: 0,
      arch: ARCH,
      seed: 11,
    },
    preset: 'tiny',
    tasks: ['sst2'],
    steps: 1,
    checkpointEvery: 1000,
    method: METHOD,
    dataDir: SHARED_DATA,
    artifactsRoot: store.root,
    ...extra,
  });
  const run = async (j: TrainerJob) => {
    const messages: TrainerToParent[] = [];
    const result = await kdTrainer(j, (m) => messages.push(m));
    return { result, checkpoints: messages.filter((m) => m.type === 'progress' && m.checkpointRef) };
  };

  before(async () => {
    root = await fs.mkdtemp(path.join(tmpdir(), 'eb-kd-unit-'));
    store = new DirArtifactStore(root);
    warm = (await run(job('warmup', { candidate: { ...job('warmup').candidate, arch: '' } }))).result;
  });

  after(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('warm-up trains a teacher per task and the supernet, and stores them as a teacher set', async () => {
    assert.ok(warm.checkpointRef && (await store.has(warm.checkpointRef)));
    // The general teacher (trained on the warm-up task, sst2, so it is sst2's too), stsb's
    // fine-tuned from it, then the supernet's two phases.
    assert.equal(warm.steps, 6 + 6 + 4 + 4);
    const set = await store.getJson<TeacherSetManifest>(warm.teacherRef!);
    assert.equal(set.kind, 'efficientbert.teacher-set');
    assert.deepEqual(Object.keys(set.tasks), ['sst2', 'stsb']);
    assert.equal(set.tasks.sst2, set.general);
    assert.notEqual(set.tasks.stsb, set.general);
    const stsb = path.join(root, 'stsb-teacher');
    await store.getDir(set.tasks.stsb!, stsb);
    assert.equal(loadTeacher(stsb).config.numLabels, 1);
  });

  it('a warm-up without the task fine-tune ends after general KD', async () => {
    const method = { ...METHOD, warmup: { ...METHOD.warmup, taskFinetune: false } };
    const general = await run(job('warmup', { candidate: { ...job('warmup').candidate, arch: '' }, method }));
    assert.equal(general.result.steps, 6 + 6 + 4);
    // Same teachers (their phases come first and draw the same seeds), another supernet.
    assert.equal(general.result.teacherRef, warm.teacherRef);
    assert.notEqual(general.result.checkpointRef, warm.checkpointRef);
  });

  it('a warm-up resumed from any of its checkpoints stores the same teachers and supernet', async () => {
    const warmJob = (extra: Partial<TrainerJob>) =>
      job('warmup', { candidate: { ...job('warmup').candidate, arch: '' }, checkpointEvery: 5, ...extra });
    const chunked = await run(warmJob({}));
    // Content-addressed refs: equal refs mean bit-identical teachers and weights.
    assert.equal(chunked.result.teacherRef, warm.teacherRef);
    assert.equal(chunked.result.checkpointRef, warm.checkpointRef);
    assert.ok(
      chunked.checkpoints.length >= 3,
      'checkpoints in the teacher, stsb-teacher and supernet phases',
    );
    for (const ckpt of chunked.checkpoints) {
      if (ckpt.type !== 'progress') continue;
      const resumed = await run(warmJob({ resume: { step: ckpt.step, checkpointRef: ckpt.checkpointRef! } }));
      assert.equal(resumed.result.teacherRef, warm.teacherRef, `resumed from step ${ckpt.step}`);
      assert.equal(resumed.result.checkpointRef, warm.checkpointRef, `resumed from step ${ckpt.step}`);
    }
  });

  it('a proxy fine-tune gives the same reward chunked, uninterrupted, or resumed from a checkpoint', async () => {
    const refs = { teacherRef: warm.teacherRef!, supernetRef: warm.checkpointRef! };
    const whole = await run(job('stage1', refs));
    const chunked = await run(job('stage1', { ...refs, checkpointEvery: 5 }));
    assert.equal(chunked.checkpoints.length, 2, 'checkpoints at steps 5 and 10 of 14');
    // The last step's loss, a float of every weight: any inexact resume would move it.
    assert.equal(chunked.result.metrics.loss, whole.result.metrics.loss);
    assert.equal(chunked.result.reward, whole.result.reward);
    for (const ckpt of chunked.checkpoints) {
      if (ckpt.type !== 'progress') continue;
      const resumed = await run(
        job('stage1', {
          ...refs,
          checkpointEvery: 5,
          resume: { step: ckpt.step, checkpointRef: ckpt.checkpointRef! },
        }),
      );
      assert.equal(resumed.result.metrics.loss, whole.result.metrics.loss, `resumed from step ${ckpt.step}`);
      assert.equal(resumed.result.reward, whole.result.reward);
      assert.equal(resumed.checkpoints.length, ckpt.step === 5 ? 1 : 0);
    }
    assert.ok(whole.result.reward > 0 && whole.result.reward <= 1);
  });

  it('refuses a checkpoint of another training', async () => {
    const refs = { teacherRef: warm.teacherRef!, supernetRef: warm.checkpointRef! };
    const chunked = await run(job('stage1', { ...refs, checkpointEvery: 5 }));
    const first = chunked.checkpoints[0]!;
    assert.equal(first.type, 'progress');
    await assert.rejects(
      run(
        job('stage1', {
          ...refs,
          candidate: { ...job('stage1').candidate, seed: 12 },
          resume: { step: 5, checkpointRef: first.type === 'progress' ? first.checkpointRef! : '' },
        }),
      ),
      /belongs to another training/,
    );
  });

  it('sharing, shared scoring and the final training chain their artifacts into a servable package', async () => {
    const sharing = (
      await run(job('sharing', { teacherRef: warm.teacherRef!, supernetRef: warm.checkpointRef! }))
    ).result;
    assert.ok(sharing.checkpointRef);
    const shared = { teacherRef: warm.teacherRef!, supernetRef: sharing.checkpointRef! };
    const score = (await run(job('stage3', shared))).result;
    // Scoring the stage-2 architecture on the shared weights is what the sharing run reported.
    assert.equal(score.reward, sharing.reward);
    const final = (await run(job('final', shared))).result;
    assert.ok(final.modelRef);
    const out = path.join(root, 'repo');
    await store.getDir(final.modelRef, out);
    const name = modelName('unit', 'sst2');
    const modelJson = JSON.parse(await fs.readFile(path.join(out, name, '1', 'model.json'), 'utf8'));
    assert.deepEqual(modelJson.labels, ['negative', 'positive']);
    assert.equal(modelJson.metrics.accuracy, final.metrics['sst2.accuracy']);
    assert.ok((await fs.stat(path.join(out, name, '1', 'model.onnx'))).size > 0);
  });

  it("trains on a user's regression dataset read from the store and exports it with no labels", async () => {
    const lines = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({ a: `a cat sat ${i}`, b: i % 2 ? 'a cat sat' : 'rain fell', score: i % 2 ? 4.5 : 0.5 }),
    );
    const ref = await store.putBytes(Buffer.from(`${lines.join('\n')}\n`));
    const file = { ref, format: 'jsonl' as const, filename: 'pairs.jsonl' };
    const task = 'similar';
    const onTask = {
      ...METHOD,
      warmup: { ...METHOD.warmup, task, trainFraction: 0.5 },
      proxy: { ...METHOD.proxy, task },
      weightSharing: { ...METHOD.weightSharing, tasks: [task] },
      scoring: { ...METHOD.scoring, task },
      final: { ...METHOD.final, tasks: [task] },
    };
    const data = {
      name: task,
      kind: 'regression' as const,
      train: file,
      dev: file,
      columns: { text: 'a', textPair: 'b', label: 'score' },
    };
    const userJob = (stage: CandidateStage, extra: Partial<TrainerJob> = {}) =>
      job(stage, {
        candidate: { ...job(stage).candidate, searchId: 'user' },
        method: onTask,
        data,
        tasks: [task],
        ...extra,
      });
    const warmUser = (
      await run(userJob('warmup', { candidate: { ...userJob('warmup').candidate!, arch: '' } }))
    ).result;
    const final = (
      await run(userJob('final', { teacherRef: warmUser.teacherRef!, supernetRef: warmUser.checkpointRef! }))
    ).result;
    assert.ok(Number.isFinite(final.metrics[`${task}.pearson`]), JSON.stringify(final.metrics));
    const out = path.join(root, 'user-repo');
    await store.getDir(final.modelRef!, out);
    const modelJson = JSON.parse(
      await fs.readFile(path.join(out, modelName('user', task), '1', 'model.json'), 'utf8'),
    );
    assert.equal(modelJson.task, 'regression');
    assert.deepEqual(modelJson.labels, []);
  });
});
