/**
 * A training made of phases run one after the other (teacher fine-tuning, KD pre-training, KD
 * fine-tuning...), with durable checkpoints every `checkpointEvery` steps counted over all phases.
 * `train()` is synchronous, so each phase runs in chunks that end on checkpoint boundaries: between
 * chunks the caller's asynchronous `onCheckpoint` (upload, progress report) gets the event loop.
 * A chunk resumes from the previous chunk's checkpoint directory, which `train()` restores exactly
 * (weights, optimizer moments, data position, generator state), so chunking never changes results.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrainResult } from './trainer';

export interface Phase {
  readonly name: string;
  readonly steps: number;
  /**
   * Trains up to `stopAfterStep` of this phase's steps, resuming from `checkpointDir` when it holds a
   * checkpoint and writing one there at the stop (train()'s `checkpoint` + `stopAfterStep`).
   */
  run(checkpointDir: string, stopAfterStep: number): TrainResult;
  /** Once the phase's last step is done, e.g. to store the teacher later phases distill from. */
  finish?(): Promise<void>;
}

/** Where a training is: phase `phase` has done `phaseStep` steps; `dir` holds its checkpoint. */
export interface PhasePosition {
  readonly phase: number;
  readonly phaseStep: number;
  /** Steps done over all phases. */
  readonly step: number;
  readonly dir: string;
}

export interface RunPhasesOptions {
  /** Scratch directory for the phases' local checkpoints. */
  readonly workDir: string;
  readonly checkpointEvery: number;
  /** Resume here (a restored checkpoint directory); phases before it are not run again. */
  readonly resume?: PhasePosition;
  /** Called on every boundary of `checkpointEvery` before the last step, with the checkpoint to keep. */
  onCheckpoint(position: PhasePosition): Promise<void>;
  /** After every chunk. */
  onProgress?(step: number, totalSteps: number): void;
}

export function totalSteps(phases: readonly Phase[]): number {
  return phases.reduce((sum, p) => sum + p.steps, 0);
}

/** Runs (or resumes) the phases; returns each run phase's last train() result, by phase name. */
export async function runPhases(
  phases: readonly Phase[],
  opts: RunPhasesOptions,
): Promise<Map<string, TrainResult>> {
  const total = totalSteps(phases);
  const every = opts.checkpointEvery;
  if (!(Number.isInteger(every) && every >= 1))
    throw new RangeError(`checkpointEvery must be >= 1, got ${every}`);
  const results = new Map<string, TrainResult>();
  const start = opts.resume?.phase ?? 0;
  let offset = phases.slice(0, start).reduce((sum, p) => sum + p.steps, 0);
  for (let p = start; p < phases.length; p++) {
    const phase = phases[p]!;
    const resuming = opts.resume !== undefined && p === start;
    const dir = resuming ? opts.resume!.dir : path.join(opts.workDir, `phase-${p}-${phase.name}`);
    if (!resuming) fs.rmSync(dir, { recursive: true, force: true });
    let phaseStep = resuming ? opts.resume!.phaseStep : 0;
    let result: TrainResult | undefined;
    do {
      const nextBoundary = (Math.floor((offset + phaseStep) / every) + 1) * every;
      const stopAt = Math.min(phase.steps, nextBoundary - offset);
      const before = phaseStep;
      result = phase.run(dir, stopAt);
      phaseStep = result.stepsDone;
      const step = offset + phaseStep;
      opts.onProgress?.(step, total);
      if (phaseStep > before && step % every === 0 && step < total) {
        await opts.onCheckpoint({ phase: p, phaseStep, step, dir });
      }
    } while (phaseStep < phase.steps);
    results.set(phase.name, result);
    await phase.finish?.();
    offset += phase.steps;
  }
  return results;
}
