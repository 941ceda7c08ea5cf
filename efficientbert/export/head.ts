import type { GraphBuilder } from './graph-builder';
import { emitDense } from './linear';
import type { ExportOptions } from './options';

/** A task head on the [CLS] state (same fields as efficientbert/model/heads.ts TaskHead). */
export interface HeadSpec {
  readonly task: string;
  readonly kind: 'classification' | 'regression';
  readonly outputs: number;
}

export interface HeadParams {
  /** Initializer name prefix, e.g. `heads.sst2`. */
  readonly name: string;
  readonly hidden: number;
  readonly outputs: number;
  readonly pooler: { readonly kernel: Float32Array; readonly bias: Float32Array };
  readonly classifier: { readonly kernel: Float32Array; readonly bias: Float32Array };
}

/**
 * BERT's head: tanh(pooler([CLS])) then the classifier. Declares the graph outputs the inference
 * server reads: `logits` [batch, outputs], plus `probabilities` (softmax) for classification.
 * The head stays float32 under int8: it runs on one row per sequence, so quantizing it saves
 * nothing and would only add error straight onto the logits.
 */
export function emitHead(
  b: GraphBuilder,
  sequence: string,
  p: HeadParams,
  kind: HeadSpec['kind'],
  options: ExportOptions,
): void {
  const float = { ...options, int8: false };
  const cls = b.node('Gather', [sequence, b.ints([0], true)], { axis: { int: 1 } }, { name: 'cls' });
  const pooledLinear = emitDense(
    b,
    cls,
    { name: `${p.name}.pooler`, rows: p.hidden, cols: p.hidden, ...p.pooler },
    float,
  );
  const pooled = b.node('Tanh', [pooledLinear], {}, { name: 'pooled' });
  const logits = emitDense(
    b,
    pooled,
    { name: `${p.name}.classifier`, rows: p.hidden, cols: p.outputs, ...p.classifier },
    float,
  );
  b.output(logits, 'logits', 'float32', ['batch', p.outputs]);
  if (kind === 'classification') {
    const probs = b.node('Softmax', [logits], { axis: { int: -1 } }, { name: 'softmax' });
    b.output(probs, 'probabilities', 'float32', ['batch', p.outputs]);
  }
}
