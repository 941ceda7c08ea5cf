import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DirArtifactStore } from '../../../efficientbert/artifacts';
import {
  type CandidateResult,
  type CandidateSpec,
  methodOf,
  PLAN_PRESETS,
} from '../../../efficientbert/search';
import { fakeFinalState, fakeReward } from '../../../services/worker/trainer/fake';
import {
  checkpointPointer,
  createActivities,
  resultPointer,
  type TrainCandidateInput,
  type TrainingLogRecord,
  trainingLog,
} from '../../../workflows/activities';

const ARCH = 'linear2_1(gelu(linear2_1(x,wb1)),wb2), linear1_3(relu(linear1_3(x,wb1)),wb2)';

function input(
  id: string,
  overrides: Partial<CandidateSpec> = {},
  extra: Partial<TrainCandidateInput> = {},
): TrainCandidateInput {
  return {
    candidate: { searchId: 'unit', id, stage: 'stage1', index: 0, arch: ARCH, seed: 5, ...overrides },
    preset: 'tiny',
    tasks: ['sst2'],
    steps: 9,
    checkpointEvery: 3,
    fakeStepMillis: 5,
    method: methodOf(PLAN_PRESETS.tiny),
    ...extra,
  };
}

describe('trainCandidate activity (child-process trainer)', () => {
  let root: string;
  let store: DirArtifactStore;
  let acts: ReturnType<typeof createActivities>;
  const records = () => store.readLog<TrainingLogRecord>(trainingLog('unit'));

  before(async () => {
    root = await fs.mkdtemp(path.join(tmpdir(), 'eb-acts-'));
    store = new DirArtifactStore(root);
    acts = createActivities({ store, trainer: 'fake', heartbeatEveryMs: 50 });
  });
  after(async () => fs.rm(root, { recursive: true, force: true }));

  it('trains in a child process, heartbeats checkpoints, stores the result under its pointer', async () => {
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d) => beats.push(d));
    const result = (await env.run(acts.trainCandidate, input('c-train'))) as CandidateResult;
    assert.equal(result.status, 'ok');
    assert.equal(result.reward, fakeReward(ARCH, fakeFinalState(ARCH, 5, 9)));
    assert.equal(result.steps, 9);
    assert.ok(beats.some((b) => (b as { step: number }).step === 9));
    assert.deepEqual(
      await store.getJson(String(await store.getPointer(resultPointer('unit', 'c-train')))),
      result,
    );
    const log = (await records())
      .filter((r) => r.candidateId === 'c-train')
      .map((r) => `${r.event}@${r.step}`);
    assert.deepEqual(log, ['start@0', 'checkpoint@3', 'checkpoint@6', 'checkpoint@9', 'finish@9']);
  });

  it('is idempotent per candidate id: a finished result is read back, not recomputed', async () => {
    const env = new MockActivityEnvironment();
    const first = (await env.run(acts.trainCandidate, input('c-train'))) as CandidateResult;
    const log = (await records()).filter((r) => r.candidateId === 'c-train');
    assert.equal(log.filter((r) => r.event === 'start').length, 1);
    assert.equal(log[log.length - 1]!.event, 'reused');
    assert.equal(first.reward, fakeReward(ARCH, fakeFinalState(ARCH, 5, 9)));
  });

  it('resumes from the heartbeat details of the previous attempt with the same result', async () => {
    // A first attempt that is cancelled after its first checkpoint (which kills the child).
    const env1 = new MockActivityEnvironment({ attempt: 1 });
    let last: { step: number; checkpointRef?: string } | undefined;
    env1.on('heartbeat', (d: { step: number; checkpointRef?: string }) => {
      last = d;
      if (d.step >= 3) env1.cancel();
    });
    await assert.rejects(
      env1.run(acts.trainCandidate, input('c-resume', {}, { fakeStepMillis: 30 })),
      CancelledFailure,
    );
    assert.ok(last?.checkpointRef, 'heartbeat carried a checkpoint ref');
    await fs.rm(path.join(store.root, 'pointers', ...checkpointPointer('unit', 'c-resume').split('/')));
    const env2 = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: last });
    const result = (await env2.run(acts.trainCandidate, input('c-resume'))) as CandidateResult;
    assert.equal(result.reward, fakeReward(ARCH, fakeFinalState(ARCH, 5, 9)));
    const log = (await records()).filter((r) => r.candidateId === 'c-resume');
    const starts = log.filter((r) => r.event === 'start');
    assert.deepEqual(
      starts.map((r) => r.step),
      [0, last!.step],
    );
    assert.ok(log.some((r) => r.event === 'cancelled'));
  });

  it('fails non-retryably for an invalid architecture', async () => {
    const env = new MockActivityEnvironment();
    await assert.rejects(
      env.run(acts.trainCandidate, input('c-bad', { arch: 'linear1_1(gelu(x),wb2), linear1_1(x,wb1)' })),
      (err: unknown) =>
        err instanceof ApplicationFailure && err.nonRetryable && err.type === 'InvalidArchitecture',
    );
  });
});
