import { isBiasOrNorm, type ParamStore } from '../model/params';
import * as tf from '../model/tf';

export interface AdamWOptions {
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  /** 1e-6, the Hugging Face AdamW default that BERT fine-tuning scripts use. */
  readonly eps: number;
}

export const ADAMW_DEFAULTS: AdamWOptions = { weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-6 };

/** Optimizer state as plain arrays, for checkpoints. */
export interface AdamWState {
  readonly step: number;
  readonly moments: Map<string, { shape: number[]; data: Float32Array }>;
}

/**
 * AdamW with decoupled weight decay (torch.optim.AdamW: p ← p·(1 − lr·wd) − lr·m̂/(√v̂ + eps)); no
 * decay on biases and LayerNorm gamma/beta. A parameter that gets no gradient in a step (an
 * unused supernet block) is left alone, as PyTorch does for parameters whose grad is None.
 */
export class AdamW {
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private step = 0;

  constructor(
    private readonly params: ParamStore,
    private readonly options: AdamWOptions = ADAMW_DEFAULTS,
  ) {}

  get stepsTaken(): number {
    return this.step;
  }

  /** Applies one update with learning rate `lr`; `grads` maps our weight names to gradients. */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    this.step++;
    const { beta1, beta2, eps, weightDecay } = this.options;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    for (const [name, g] of grads) {
      const p = this.params.get(name);
      const m = this.moment(this.m, name, p);
      const v = this.moment(this.v, name, p);
      tf.tidy(() => {
        const mNew = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const vNew = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        // lr·m̂/(√v̂+eps) with the bias corrections folded into scalars.
        const update = tf.div(tf.mul(mNew, lr / c1), tf.add(tf.sqrt(tf.div(vNew, c2)), eps));
        const decay = isBiasOrNorm(name) ? 0 : lr * weightDecay;
        const decayed = decay > 0 ? tf.mul(p, 1 - decay) : p;
        m.assign(mNew);
        v.assign(vNew);
        p.assign(tf.sub(decayed, update));
      });
    }
  }

  private moment(store: Map<string, tf.Variable>, name: string, p: tf.Variable): tf.Variable {
    let t = store.get(name);
    if (!t) store.set(name, (t = tf.variable(tf.zerosLike(p), false)));
    return t;
  }

  state(): AdamWState {
    const moments = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [prefix, store] of [
      ['m', this.m],
      ['v', this.v],
    ] as const) {
      for (const [name, t] of store) {
        moments.set(`${prefix}.${name}`, {
          shape: [...t.shape],
          data: Float32Array.from(t.dataSync() as Float32Array),
        });
      }
    }
    return { step: this.step, moments };
  }

  restore(state: AdamWState): void {
    this.dispose();
    this.step = state.step;
    for (const [key, { shape, data }] of state.moments) {
      const [prefix, name] = [key.slice(0, 1), key.slice(2)];
      const store = prefix === 'm' ? this.m : prefix === 'v' ? this.v : null;
      if (!store || key[1] !== '.') throw new Error(`bad optimizer tensor name '${key}'`);
      this.params.get(name);
      // A variable shares its initial tensor's data: dispose that tensor or the data never frees.
      const initial = tf.tensor(data, shape, 'float32');
      store.set(name, tf.variable(initial, false));
      initial.dispose();
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}

/**
 * Scales gradients so their global L2 norm is at most `maxNorm` (torch clip_grad_norm_:
 * coefficient maxNorm/(norm + 1e-6), capped at 1). Returns the new gradients and the norm before
 * clipping; the inputs are not disposed.
 */
export function clipByGlobalNorm(
  grads: ReadonlyMap<string, tf.Tensor>,
  maxNorm: number,
): { grads: Map<string, tf.Tensor>; norm: tf.Scalar } {
  const norm = tf.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
  const coef = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
  const clipped = new Map<string, tf.Tensor>();
  for (const [name, g] of grads) clipped.set(name, tf.mul(g, coef));
  return { grads: clipped, norm };
}
