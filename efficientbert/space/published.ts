import type { Architecture, LayerArch, LayerSize } from './ast';
import { ALL_SIZES, linearName } from './linear-names';
import { parseArchitecture, parseLayer } from './parse';

/** Published architectures (spec §1.4), in the paper's token form and parsed. */

/** The final EfficientBERT (also EfficientBERT+ and, at H=360, EfficientBERT_TINY). */
export const EFFICIENTBERT_TEXT = [
  'tanh(linear4_2(gelu(linear4_2(x,wb1)),wb2))',
  'elu(linear2_1(gelu(linear2_1(x,wb1)),wb2))',
  'sigmoid(linear1_2(relu(linear1_2(x,wb1)),wb2))',
  'linear2_2(gelu(linear2_2(max(x,tanh(x)),wb1)),wb2)',
  'linear1_2(relu(mul(linear1_2(x,wb1),x)),wb2)',
  'leaky_relu(linear2_3(gelu(linear2_3(x,wb1)),wb2))',
].join(', ');

/** Stage-1 best, the seed of stage 2: activations around plain GELU FFNs. */
export const STAGE1_BEST_TEXT = [
  'tanh(linear4_2(gelu(linear4_2(x,wb1)),wb2))',
  'linear2_1(gelu(linear2_1(x,wb1)),wb2)',
  'sigmoid(linear1_4(gelu(linear1_4(x,wb1)),wb2))',
  'linear4_4(gelu(linear4_4(x,wb1)),wb2)',
  'linear1_3(gelu(linear1_3(x,wb1)),wb2)',
  'leaky_relu(linear2_4(gelu(linear2_4(x,wb1)),wb2))',
].join(', ');

/** Stage-2 best, the seed of stage 3: the final expressions at the stage-1 sizes (≈15.40 M). */
export const STAGE2_BEST_TEXT = [
  'tanh(linear4_2(gelu(linear4_2(x,wb1)),wb2))',
  'elu(linear2_1(gelu(linear2_1(x,wb1)),wb2))',
  'sigmoid(linear1_4(relu(linear1_4(x,wb1)),wb2))',
  'linear4_4(gelu(linear4_4(max(x,tanh(x)),wb1)),wb2)',
  'linear1_3(relu(mul(linear1_3(x,wb1),x)),wb2)',
  'leaky_relu(linear2_4(gelu(linear2_4(x,wb1)),wb2))',
].join(', ');

export const EFFICIENTBERT: Architecture = parseArchitecture(EFFICIENTBERT_TEXT);
export const STAGE1_BEST: Architecture = parseArchitecture(STAGE1_BEST_TEXT);
export const STAGE2_BEST: Architecture = parseArchitecture(STAGE2_BEST_TEXT);

/** The plain FFN `linearX_Y(gelu(linearX_Y(x,wb1)),wb2)` at one size. */
export function plainGeluLayer(size: LayerSize): LayerArch {
  const name = linearName(size);
  return parseLayer(`${name}(gelu(${name}(x,wb1)),wb2)`);
}

/** The 16 stage-1 seeds, one plain GELU FFN per size, in LINEAR_NAMES order. */
export const PLAIN_SEEDS: readonly LayerArch[] = ALL_SIZES.map(plainGeluLayer);
