/**
 * The FFN search space of EfficientBERT: one expression tree per Transformer layer over the FFN
 * input `x` and the layer's two linear maps (`wb1`: H→I, `wb2`: I→H), plus the layer's size
 * (X stacked FFN blocks, expansion ratio 1/Y). Pure data: no tensors, no Node APIs, so workflow
 * code can import it.
 */

export const UNARY_OPS = ['gelu', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'elu', 'swish'] as const;
export const BINARY_OPS = ['add', 'mul', 'max'] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];
export type BinaryOp = (typeof BINARY_OPS)[number];
export type LinearSlot = 'wb1' | 'wb2';

export type Expr =
  | { readonly kind: 'x' }
  | { readonly kind: 'unary'; readonly op: UnaryOp; readonly arg: Expr }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'linear'; readonly slot: LinearSlot; readonly arg: Expr };

/** X in `linearX_Y`: how many FFN blocks are stacked in the layer. */
export type StackDepth = 1 | 2 | 3 | 4;
/** Y in `linearX_Y`: the intermediate width is floor(H / Y). */
export type RatioDivisor = 1 | 2 | 3 | 4;

export interface LayerSize {
  readonly stack: StackDepth;
  readonly ratio: RatioDivisor;
}

export interface LayerArch extends LayerSize {
  readonly expr: Expr;
}

/** One candidate: an expression and a size per student layer. */
export interface Architecture {
  readonly layers: readonly LayerArch[];
}

export const STACK_DEPTHS: readonly StackDepth[] = [1, 2, 3, 4];
export const RATIO_DIVISORS: readonly RatioDivisor[] = [1, 2, 3, 4];
