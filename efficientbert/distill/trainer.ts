import { Prng } from '../core/prng';
import { type Dropout, seededDropout } from '../model/layers';
import type { ParamStore } from '../model/params';
import * as tf from '../model/tf';
import { ADAMW_DEFAULTS, AdamW, type AdamWOptions, clipByGlobalNorm } from './adamw';
import { checkpointExists, loadCheckpoint, saveCheckpoint } from './checkpoint';
import { linearWarmupDecay } from './schedule';

/** A stream of batches whose position is a JSON value (efficientbert/data's BatchIterator). */
export interface ResumableBatches<B> {
  next(): B;
  state(): unknown;
}

/** What the loss function gets each step besides the batch. */
export interface StepContext {
  readonly step: number;
  /** Training-mode dropout with seeded masks. */
  readonly dropout: Dropout;
  /** This step's own generator (e.g. to sample a sub-network, spec §4.4 single-path training). */
  readonly rng: Prng;
}

export interface Progress {
  readonly step: number;
  readonly totalSteps: number;
  readonly loss: number;
  readonly lr: number;
  readonly examplesPerSec: number;
}

export interface TrainOptions<B extends { batchSize: number }> {
  /** The weights to train (all of them). */
  readonly params: ParamStore;
  /** The scalar loss of one batch; runs inside a gradient tape and a tidy scope. */
  readonly loss: (batch: NoInfer<B>, ctx: StepContext) => tf.Scalar;
  /** Opens the data stream, fresh (null) or at a checkpointed position. */
  readonly openData: (state: unknown | null) => ResumableBatches<B>;
  readonly totalSteps: number;
  readonly peakLr: number;
  readonly seed: number;
  readonly dropoutRate: number;
  readonly warmupFraction?: number;
  readonly maxGradNorm?: number;
  readonly optimizer?: AdamWOptions;
  /** Dev evaluation (higher is better) every `everySteps` steps and at the end; the best weights are kept. */
  readonly evaluate?: { readonly everySteps: number; readonly run: () => number };
  /** Checkpoint directory, written every `everySteps` steps and at the end (or at stopAfterStep). */
  readonly checkpoint?: { readonly dir: string; readonly everySteps: number; readonly resume?: boolean };
  /** Stop early after this many steps (a simulated crash point; the schedule still spans totalSteps). */
  readonly stopAfterStep?: number;
  readonly onProgress?: (p: Progress) => void;
  readonly progressEverySteps?: number;
}

export interface TrainResult {
  /** Loss of every step run in this call and, when resumed, the ones before it. */
  readonly losses: readonly number[];
  readonly evals: readonly { step: number; score: number }[];
  readonly best: { step: number; score: number } | null;
  readonly stepsDone: number;
}

/**
 * The training loop: AdamW with linear warm-up/decay and global-norm clipping, seeded dropout and
 * per-step generators drawn from one Prng (same seed ⇒ the same loss curve bit for bit), periodic
 * dev evaluation keeping the best weights (loaded back at the end), and checkpoints that resume
 * exactly: weights, optimizer moments, step, data position and Prng state.
 */
export function train<B extends { batchSize: number }>(opts: TrainOptions<B>): TrainResult {
  const { params, totalSteps } = opts;
  const optimizer = new AdamW(params, opts.optimizer ?? ADAMW_DEFAULTS);
  const maxGradNorm = opts.maxGradNorm ?? 1;
  let rng = Prng.fromSeed(opts.seed);
  let step = 0;
  let losses: number[] = [];
  let evals: { step: number; score: number }[] = [];
  let best: { step: number; score: number } | null = null;
  let bestWeights: Map<string, { shape: number[]; data: Float32Array }> | null = null;
  let dataState: unknown | null = null;

  const ckptDir = opts.checkpoint?.dir;
  if (ckptDir && opts.checkpoint?.resume !== false && checkpointExists(ckptDir)) {
    const ckpt = loadCheckpoint(ckptDir);
    params.assignArrays(ckpt.weights);
    const moments = ckpt.optimizer;
    optimizer.restore({ step: ckpt.manifest.optimizerStep, moments });
    step = ckpt.manifest.step;
    rng = Prng.fromState(ckpt.manifest.prng);
    losses = [...ckpt.manifest.losses];
    evals = [...ckpt.manifest.evals];
    best = ckpt.manifest.best;
    bestWeights = ckpt.best;
    dataState = ckpt.manifest.data;
  }
  const data = opts.openData(dataState);
  const vars = [...params.vars.values()];
  const stopAt = Math.min(totalSteps, opts.stopAfterStep ?? totalSteps);

  const evaluate = () => {
    if (!opts.evaluate) return;
    const score = opts.evaluate.run();
    evals.push({ step, score });
    if (!best || score > best.score) {
      best = { step, score };
      bestWeights = params.toArrays();
    }
  };
  const checkpoint = () => {
    if (!ckptDir) return;
    const { step: optimizerStep, moments } = optimizer.state();
    saveCheckpoint(ckptDir, {
      manifest: {
        format: 'efficientbert-checkpoint/1',
        step,
        optimizerStep,
        data: data.state(),
        prng: rng.state(),
        losses,
        evals,
        best,
      },
      weights: params.toArrays(),
      optimizer: moments,
      best: bestWeights,
    });
  };

  let windowStart = performance.now();
  let windowExamples = 0;
  while (step < stopAt) {
    const batch = data.next();
    const stepRng = rng.fork();
    const dropoutSeeds = stepRng.fork();
    const lr = linearWarmupDecay(step, totalSteps, opts.peakLr, opts.warmupFraction ?? 0.1);
    const ctx: StepContext = {
      step,
      dropout: seededDropout(opts.dropoutRate, () => dropoutSeeds.nextUint32()),
      rng: stepRng,
    };
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => opts.loss(batch, ctx), vars);
      const named = new Map<string, tf.Tensor>();
      for (const v of vars) {
        const g = grads[v.name];
        if (g) named.set(params.nameOf(v)!, g);
      }
      optimizer.apply(clipByGlobalNorm(named, maxGradNorm).grads, lr);
      return value.dataSync()[0]!;
    });
    losses.push(loss);
    step++;
    windowExamples += batch.batchSize;
    const every = opts.progressEverySteps ?? 10;
    if (opts.onProgress && (step % every === 0 || step === stopAt)) {
      const now = performance.now();
      opts.onProgress({
        step,
        totalSteps,
        loss,
        lr,
        examplesPerSec: (windowExamples * 1000) / (now - windowStart),
      });
      windowStart = now;
      windowExamples = 0;
    }
    if (opts.evaluate && (step % opts.evaluate.everySteps === 0 || step === totalSteps)) evaluate();
    if (ckptDir && (step % opts.checkpoint!.everySteps === 0 || step === stopAt)) checkpoint();
  }
  if (step === totalSteps && bestWeights) params.assignArrays(bestWeights);
  optimizer.dispose();
  return { losses, evals, best, stepsDone: step };
}
