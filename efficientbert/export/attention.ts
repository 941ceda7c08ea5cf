import { type GraphBuilder, MS_DOMAIN } from './graph-builder';
import { emitResidualNorm, type NormParams } from './layer-norm';
import { emitDense } from './linear';
import { type ExportOptions, MASK_FILTER_VALUE } from './options';
import { quantizePerColumn } from './quantize';

export interface DenseWeights {
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
}

export interface AttentionParams {
  /** Prefix of the initializer names, e.g. `encoder.0.attention`. */
  readonly name: string;
  readonly hidden: number;
  readonly heads: number;
  readonly query: DenseWeights;
  readonly key: DenseWeights;
  readonly value: DenseWeights;
  readonly output: DenseWeights;
  readonly norm: NormParams;
}

/**
 * The attention mask in the two forms the graphs need, each built once on first use: the additive
 * bias (1 − mask)·−10000 shaped [batch, 1, 1, sequence] for plain graphs, and the int32 [batch,
 * sequence] mask that com.microsoft attention ops turn into the same −10000 bias themselves.
 */
export class AttentionMask {
  private biasName: string | undefined;
  private indexName: string | undefined;

  constructor(
    private readonly b: GraphBuilder,
    private readonly mask: string,
  ) {}

  bias(): string {
    const b = this.b;
    if (this.biasName === undefined) {
      const m = b.node('Cast', [this.mask], { to: { int: 1 } }, { name: 'mask_float' });
      const bias = b.node('Mul', [b.node('Sub', [b.float(1), m]), b.float(MASK_FILTER_VALUE)]);
      this.biasName = b.node('Unsqueeze', [bias, b.ints([1, 2])], {}, { name: 'mask_bias' });
    }
    return this.biasName;
  }

  index(): string {
    this.indexName ??= this.b.node('Cast', [this.mask], { to: { int: 6 } }, { name: 'mask_index' });
    return this.indexName;
  }
}

/**
 * Post-LN multi-head self-attention on x [batch, sequence, hidden]: LayerNorm(x + Wo·attn(x)).
 * Q, K and V come from one [hidden, 3·hidden] matmul. Fused graphs use com.microsoft Attention
 * (QAttention when int8); ONNX Runtime does not fuse attention by itself in opset ≥ 13 graphs
 * (runtime-facts).
 */
export function emitSelfAttention(
  b: GraphBuilder,
  x: string,
  p: AttentionParams,
  mask: AttentionMask,
  options: ExportOptions,
): string {
  const { hidden, heads } = p;
  if (hidden % heads !== 0) throw new Error(`${p.name}: hidden ${hidden} is not divisible by ${heads} heads`);
  const context = options.fused ? fusedCore(b, x, p, mask, options) : plainCore(b, x, p, mask, options);
  const projected = emitDense(
    b,
    context,
    { name: `${p.name}.output`, kernel: p.output.kernel, rows: hidden, cols: hidden, bias: p.output.bias },
    options,
  );
  return emitResidualNorm(b, projected, x, p.norm);
}

/** Q/K/V kernels side by side, [hidden, 3·hidden], queries scaled by `qScale`. */
function packedQkv(p: AttentionParams, qScale: number): DenseWeights {
  const h = p.hidden;
  const kernel = new Float32Array(h * 3 * h);
  const parts = [p.query, p.key, p.value];
  for (let r = 0; r < h; r++) {
    parts.forEach((part, i) => {
      const scale = i === 0 ? qScale : 1;
      for (let c = 0; c < h; c++) kernel[r * 3 * h + i * h + c] = part.kernel[r * h + c]! * scale;
    });
  }
  const bias = new Float32Array(3 * h);
  parts.forEach((part, i) => {
    for (let c = 0; c < h; c++) bias[i * h + c] = part.bias[c]! * (i === 0 ? qScale : 1);
  });
  return { kernel, bias };
}

/** Standard ONNX: the 1/√d scaling is folded into the query weights at export time. */
function plainCore(
  b: GraphBuilder,
  x: string,
  p: AttentionParams,
  mask: AttentionMask,
  options: ExportOptions,
) {
  const { hidden: h, heads } = p;
  const d = h / heads;
  const qkv = packedQkv(p, 1 / Math.sqrt(d));
  const packed = emitDense(b, x, { name: `${p.name}.qkv`, rows: h, cols: 3 * h, ...qkv }, options);
  const [q, k, v] = b.nodeN(
    'Split',
    [packed, b.ints([h, h, h])],
    { axis: { int: -1 } },
    { outputs: 3, name: 'qkv' },
  );
  const perHead = b.ints([0, 0, heads, d]);
  const split = (t: string, perm: number[]) =>
    b.node('Transpose', [b.node('Reshape', [t, perHead])], { perm: { ints: perm } });
  const scores = b.node('MatMul', [split(q!, [0, 2, 1, 3]), split(k!, [0, 2, 3, 1])], {}, { name: 'scores' });
  const probs = b.node('Softmax', [b.node('Add', [scores, mask.bias()])], { axis: { int: -1 } });
  const context = b.node('MatMul', [probs, split(v!, [0, 2, 1, 3])], {}, { name: 'context' });
  const merged = b.node('Transpose', [context], { perm: { ints: [0, 2, 1, 3] } });
  return b.node('Reshape', [merged, b.ints([0, 0, h])], {}, { name: `${p.name}.context` });
}

/** com.microsoft Attention (fp32) or DynamicQuantizeLinear + QAttention (int8); both scale by 1/√d. */
function fusedCore(
  b: GraphBuilder,
  x: string,
  p: AttentionParams,
  mask: AttentionMask,
  options: ExportOptions,
) {
  const { hidden: h, heads } = p;
  const qkv = packedQkv(p, 1);
  const bias = b.floatInit(`${p.name}.qkv.bias`, [3 * h], qkv.bias);
  const attrs = { num_heads: { int: heads } };
  if (!options.int8) {
    const kernel = b.floatInit(`${p.name}.qkv.kernel`, [h, 3 * h], qkv.kernel);
    return b.node(
      'Attention',
      [x, kernel, bias, mask.index()],
      { ...attrs, mask_filter_value: { float: MASK_FILTER_VALUE } },
      {
        domain: MS_DOMAIN,
        name: `${p.name}.context`,
      },
    );
  }
  const q = quantizePerColumn(qkv.kernel, h, 3 * h);
  const kernel = b.int8Init(`${p.name}.qkv.kernel_int8`, [h, 3 * h], q.data);
  const scales = b.floatInit(`${p.name}.qkv.scale`, [3 * h], q.scales);
  const [xq, xScale, xZero] = b.nodeN('DynamicQuantizeLinear', [x], {}, { outputs: 3, name: `${p.name}.xq` });
  return b.node('QAttention', [xq!, kernel, bias, xScale!, scales, mask.index(), xZero!], attrs, {
    domain: MS_DOMAIN,
    name: `${p.name}.context`,
  });
}
