import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PrngState } from '../core/prng';
import { readSafetensors, writeSafetensors } from '../model/safetensors';

type Arrays = Map<string, { shape: number[]; data: Float32Array }>;

/** Everything besides tensors that an exact resume needs. */
export interface CheckpointManifest {
  readonly format: 'efficientbert-checkpoint/1';
  /** Train steps completed. */
  readonly step: number;
  readonly optimizerStep: number;
  /** The data iterator's position (its own JSON state). */
  readonly data: unknown;
  /** The trainer's Prng state after `step` steps. */
  readonly prng: PrngState;
  readonly losses: readonly number[];
  readonly evals: readonly { step: number; score: number }[];
  readonly best: { step: number; score: number } | null;
}

export interface Checkpoint {
  readonly manifest: CheckpointManifest;
  readonly weights: Arrays;
  readonly optimizer: Arrays;
  /** The best weights so far by dev score, when evaluation runs. */
  readonly best: Arrays | null;
}

const FILES = {
  manifest: 'manifest.json',
  weights: 'weights.safetensors',
  optimizer: 'optimizer.safetensors',
  best: 'best.safetensors',
};

/**
 * Writes a checkpoint directory (safetensors for tensors + a JSON manifest). It is written to a
 * sibling temporary directory and renamed into place, so a crash never leaves a half-written
 * checkpoint where a resume would read it.
 */
export function saveCheckpoint(dir: string, ckpt: Checkpoint): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  writeSafetensors(path.join(tmp, FILES.weights), ckpt.weights);
  writeSafetensors(path.join(tmp, FILES.optimizer), ckpt.optimizer);
  if (ckpt.best) writeSafetensors(path.join(tmp, FILES.best), ckpt.best);
  fs.writeFileSync(path.join(tmp, FILES.manifest), `${JSON.stringify(ckpt.manifest)}\n`);
  const old = `${dir}.old-${process.pid}`;
  if (fs.existsSync(dir)) fs.renameSync(dir, old);
  fs.renameSync(tmp, dir);
  fs.rmSync(old, { recursive: true, force: true });
}

export function checkpointExists(dir: string): boolean {
  return fs.existsSync(path.join(dir, FILES.manifest));
}

export function loadCheckpoint(dir: string): Checkpoint {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, FILES.manifest), 'utf8')) as CheckpointManifest;
  if (manifest.format !== 'efficientbert-checkpoint/1')
    throw new Error(`${dir}: unknown checkpoint format '${manifest.format}'`);
  const bestPath = path.join(dir, FILES.best);
  return {
    manifest,
    weights: readArrays(path.join(dir, FILES.weights)),
    optimizer: readArrays(path.join(dir, FILES.optimizer)),
    best: fs.existsSync(bestPath) ? readArrays(bestPath) : null,
  };
}

function readArrays(file: string): Arrays {
  const out: Arrays = new Map();
  for (const [name, e] of readSafetensors(file)) {
    if (!e.data) throw new Error(`${file}: tensor '${name}' is not float`);
    out.set(name, { shape: [...e.shape], data: e.data });
  }
  return out;
}
