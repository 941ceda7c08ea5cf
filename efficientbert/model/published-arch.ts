import type { Architecture, RatioDivisor, StackDepth } from '../space/ast';
import { EFFICIENTBERT, plainGeluLayer } from '../space/published';

/**
 * The published EfficientBERT expressions and sizes spread over `layers` layers: layer i takes
 * published layer floor(6·i / layers), so 12 layers repeat each twice (EfficientBERT++) and 4 layers
 * (the `small` preset) take layers 1, 2, 4 and 5 of 6.
 */
export function publishedArchitecture(layers = EFFICIENTBERT.layers.length): Architecture {
  const n = EFFICIENTBERT.layers.length;
  return {
    layers: Array.from({ length: layers }, (_, i) => EFFICIENTBERT.layers[Math.floor((n * i) / layers)]!),
  };
}

/** The plain BERT FFN W2·gelu(W1·x) at one size on every layer (the supernet is 4 blocks at ratio 1). */
export function plainArchitecture(layers: number, stack: StackDepth, ratio: RatioDivisor): Architecture {
  return { layers: Array.from({ length: layers }, () => plainGeluLayer({ stack, ratio })) };
}
