/**
 * Deterministic fake training for tests and orchestration benchmarks: `steps` steps that each mix
 * a running state (a pure function of the architecture, the seed and the step), sleep
 * `fakeStepMillis`, and write a checkpoint to the artifact store every `checkpointEvery` steps.
 * Resuming from any checkpoint reaches the same final state, so the reward of a candidate does not
 * depend on how often it was interrupted. The real trainer replaces this body, not the protocol.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { openArtifactStore } from '../../../efficientbert/artifacts';
import { checkArchitecture } from '../../../efficientbert/space/check';
import { PRESETS } from '../../../efficientbert/space/presets';
import { type Trainer, TrainerError, type TrainerJob } from './protocol';

export interface FakeCheckpoint {
  readonly kind: 'efficientbert.fake-checkpoint';
  readonly candidateId: string;
  readonly arch: string;
  readonly seed: number;
  readonly step: number;
  readonly state: number;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function mix(state: number, step: number): number {
  let z = (state ^ Math.imul(step, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** The reward the fake trainer will report: depends on the architecture (mostly) and the final state. */
export function fakeReward(arch: string, finalState: number): number {
  const archScore = fnv1a(arch) / 2 ** 32;
  const noise = finalState / 2 ** 32;
  return Math.round((0.5 + 0.4 * archScore + 0.05 * noise) * 1e6) / 1e6;
}

export function fakeFinalState(arch: string, seed: number, steps: number): number {
  let s = fnv1a(`${arch}|${seed}`);
  for (let step = 1; step <= steps; step++) s = mix(s, step);
  return s;
}

export const fakeTrainer: Trainer = async (job: TrainerJob, emit) => {
  const { candidate } = job;
  const problem =
    candidate.stage === 'warmup' ? undefined : checkArchitecture(candidate.arch, PRESETS[job.preset].layers);
  if (problem) throw new TrainerError('invalid-architecture', problem);
  const store = openArtifactStore(job.artifactsRoot);
  let step = 0;
  let state = fnv1a(`${candidate.arch}|${candidate.seed}`);
  if (job.resume) {
    const ckpt = await store.getJson<FakeCheckpoint>(job.resume.checkpointRef);
    if (ckpt.candidateId !== candidate.id || ckpt.arch !== candidate.arch || ckpt.seed !== candidate.seed) {
      throw new TrainerError(
        'runtime',
        `checkpoint ${job.resume.checkpointRef} belongs to another candidate`,
      );
    }
    step = ckpt.step;
    state = ckpt.state;
  }
  emit({ type: 'started', fromStep: step, pid: process.pid, backend: 'fake' });
  let checkpointRef = job.resume?.checkpointRef ?? '';
  while (step < job.steps) {
    step++;
    state = mix(state, step);
    if (job.fakeStepMillis) await sleep(job.fakeStepMillis);
    const metrics = { loss: 1 / (1 + step) };
    if (step % job.checkpointEvery === 0 || step === job.steps) {
      const ckpt: FakeCheckpoint = {
        kind: 'efficientbert.fake-checkpoint',
        candidateId: candidate.id,
        arch: candidate.arch,
        seed: candidate.seed,
        step,
        state,
      };
      checkpointRef = await store.putJson(ckpt);
      emit({ type: 'progress', step, totalSteps: job.steps, checkpointRef, metrics });
    } else {
      emit({ type: 'progress', step, totalSteps: job.steps, metrics });
    }
  }
  return { reward: fakeReward(candidate.arch, state), steps: step, checkpointRef, metrics: { accuracy: 0 } };
};
