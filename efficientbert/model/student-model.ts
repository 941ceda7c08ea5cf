import type { Prng } from '../core/prng';
import type { Architecture } from '../space/ast';
import type { StudentConfig } from '../space/presets';
import { studentWeightShapes } from '../space/weights';
import type { EncoderOutput } from './encoder-output';
import { headLogits, headsWeightShapes, type TaskHead } from './heads';
import type { EncoderInputs } from './inputs';
import type { Dropout } from './layers';
import { ParamStore, type Weights } from './params';
import { studentEncoder } from './student';
import { candidateView, extractCandidate } from './supernet';
import type * as tf from './tf';

/**
 * A student encoder plus named task heads in one ParamStore. A supernet holds every layer at
 * maxStack full-width blocks and runs any candidate as a sliced view; a candidate model holds
 * exactly its own architecture's weights.
 */
export class StudentModel {
  private constructor(
    readonly config: StudentConfig,
    readonly params: ParamStore,
    readonly heads: readonly TaskHead[],
    /** null for a supernet; the fixed architecture of a candidate model. */
    readonly arch: Architecture | null,
  ) {}

  static supernet(config: StudentConfig, heads: readonly TaskHead[], rng: Prng): StudentModel {
    const shapes = new Map([...studentWeightShapes(config, 'supernet'), ...headsWeightShapes(config, heads)]);
    return new StudentModel(config, ParamStore.init(shapes, rng), heads, null);
  }

  static candidate(
    config: StudentConfig,
    arch: Architecture,
    heads: readonly TaskHead[],
    rng: Prng,
  ): StudentModel {
    const shapes = new Map([...studentWeightShapes(config, arch), ...headsWeightShapes(config, heads)]);
    return new StudentModel(config, ParamStore.init(shapes, rng), heads, arch);
  }

  /** A candidate with its own copy of the supernet's sliced weights and of its heads. */
  static fromSupernet(supernet: StudentModel, arch: Architecture): StudentModel {
    if (supernet.arch) throw new Error('fromSupernet needs a supernet, got a candidate model');
    const arrays = extractCandidate(supernet.params, supernet.config, arch);
    const headNames = [...headsWeightShapes(supernet.config, supernet.heads).keys()];
    for (const [name, value] of supernet.params.toArraysOf(headNames)) arrays.set(name, value);
    return new StudentModel(supernet.config, ParamStore.fromArrays(arrays), supernet.heads, arch);
  }

  /** The weights `arch` runs on: a sliced view of a supernet, or a candidate's own weights. */
  weightsFor(arch: Architecture): Weights {
    const own = this.params.weights();
    if (this.arch) {
      if (this.arch !== arch) assertSameSizes(this.config, this.arch, arch);
      return own;
    }
    const view = candidateView(own, this.config, arch);
    return (name) => (name.startsWith('heads.') ? own(name) : view(name));
  }

  forward(
    arch: Architecture,
    inputs: EncoderInputs,
    dropout: Dropout,
    w: Weights = this.weightsFor(arch),
  ): EncoderOutput {
    return studentEncoder(w, this.config, arch, inputs, dropout);
  }

  head(task: string): TaskHead {
    const head = this.heads.find((h) => h.task === task);
    if (!head)
      throw new Error(
        `no head for task '${task}' (have ${this.heads.map((h) => h.task).join(', ') || 'none'})`,
      );
    return head;
  }

  logits(task: string, out: EncoderOutput, dropout: Dropout): tf.Tensor2D {
    this.head(task);
    const last = out.hidden[out.hidden.length - 1]!;
    return headLogits(this.params.weights(), task, last, out.batchSize, out.seqLen, dropout);
  }

  dispose(): void {
    this.params.dispose();
  }
}

function assertSameSizes(config: StudentConfig, built: Architecture, asked: Architecture): void {
  const a = studentWeightShapes(config, built);
  const b = studentWeightShapes(config, asked);
  const same = a.size === b.size && [...a].every(([k, s]) => b.get(k)?.join(',') === s.join(','));
  if (!same)
    throw new Error(
      'this candidate model was built for different layer sizes; use a supernet to switch sizes',
    );
}
