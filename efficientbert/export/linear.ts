import { type GraphBuilder, MS_DOMAIN } from './graph-builder';
import type { ExportOptions } from './options';
import { quantizePerColumn } from './quantize';

/** One y = x·W + b with W stored [rows, cols] (the project's [in, out] convention). */
export interface DenseParams {
  /** Initializer names are `${name}.kernel` / `${name}.bias` (and `.scale` when int8). */
  readonly name: string;
  readonly kernel: Float32Array;
  readonly rows: number;
  readonly cols: number;
  readonly bias: Float32Array;
}

/**
 * Emits x·W + b on the last axis of `x` (any rank). With `addBias` false the bias is left to the
 * caller, which hands it to a fused op (BiasGelu) instead of an Add.
 *
 * int8: the weights become per-column int8 and the activations are quantized at run time
 * (uint8, asymmetric). Plain graphs use standard DynamicQuantizeLinear + MatMulInteger and
 * rescale in float; fused graphs use com.microsoft DynamicQuantizeMatMul, which does all of it
 * (bias included) in one kernel.
 */
export function emitDense(
  b: GraphBuilder,
  x: string,
  p: DenseParams,
  options: ExportOptions,
  addBias = true,
): string {
  if (p.bias.length !== p.cols)
    throw new Error(`${p.name}: bias has ${p.bias.length} values, expected ${p.cols}`);
  const biasName = () => b.floatInit(`${p.name}.bias`, [p.cols], p.bias);
  if (!options.int8) {
    const kernel = b.floatInit(`${p.name}.kernel`, [p.rows, p.cols], p.kernel);
    const product = b.node('MatMul', [x, kernel], {}, { name: `${p.name}.matmul` });
    return addBias ? b.node('Add', [product, biasName()], {}, { name: `${p.name}.out` }) : product;
  }
  const q = quantizePerColumn(p.kernel, p.rows, p.cols);
  const kernel = b.int8Init(`${p.name}.kernel_int8`, [p.rows, p.cols], q.data);
  const scales = b.floatInit(`${p.name}.scale`, [p.cols], q.scales);
  if (options.fused) {
    const inputs = addBias ? [x, kernel, scales, '', biasName()] : [x, kernel, scales];
    return b.node('DynamicQuantizeMatMul', inputs, {}, { domain: MS_DOMAIN, name: `${p.name}.qmatmul` });
  }
  const [xq, xScale, xZero] = b.nodeN('DynamicQuantizeLinear', [x], {}, { outputs: 3, name: `${p.name}.xq` });
  const acc = b.node('MatMulInteger', [xq!, kernel, xZero!], {}, { name: `${p.name}.imatmul` });
  const accFloat = b.node('Cast', [acc], { to: { int: 1 } }, { name: `${p.name}.acc` });
  const scale = b.node('Mul', [xScale!, scales], {}, { name: `${p.name}.rescale` });
  const y = b.node('Mul', [accFloat, scale], {}, { name: `${p.name}.deq` });
  return addBias ? b.node('Add', [y, biasName()], {}, { name: `${p.name}.out` }) : y;
}
