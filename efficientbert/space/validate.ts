import type { Architecture, Expr, LayerArch, LinearSlot, RatioDivisor } from './ast';
import { type ExprBackend, interpret } from './interpret';
import { printExpr } from './print';
import { children, treeHeight } from './tree';

/**
 * The validity rules of the search space (spec §1.2, `check_individual`). A broken rule is
 * reported, never repaired.
 *
 * Rule ids:
 * - `one-wb1`, `one-wb2`: exactly one linear with each slot.
 * - `wb1-first`: `wb1` comes before `wb2` in the token string.
 * - `nested-linears`: no linear directly applied to the other linear's output.
 * - `height`: DEAP height (a lone terminal is 0, see treeHeight) within [MIN_HEIGHT, MAX_HEIGHT].
 * - `consecutive-activations`: no activation applied directly to an activation.
 * - `identical-operands`: add/mul/max never take two textually identical inputs.
 * - `widths`: the expression runs: wb1 gets width H, wb2 gets width I and the output is H wide.
 *   This is the reference's "compiles and runs on dummy tensors" check; it depends on the ratio,
 *   because at ratio 1 (I = H) every arrangement of the two linears runs.
 * - `layer-count` (architectures only): as many layers as the model has.
 *
 * The reference's "contains x" rule needs no id here: `x` is the AST's only terminal, so every
 * parsed expression contains it (a text without it fails to parse).
 */
export const MIN_HEIGHT = 3;
export const MAX_HEIGHT = 7;

export type RuleId =
  | 'one-wb1'
  | 'one-wb2'
  | 'wb1-first'
  | 'nested-linears'
  | 'height'
  | 'consecutive-activations'
  | 'identical-operands'
  | 'widths'
  | 'layer-count';

export type ValidationResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly rule: RuleId;
      readonly message: string;
      /** 0-based layer index, for architectures. */
      readonly layer?: number;
    };

const OK: ValidationResult = { ok: true };
const fail = (rule: RuleId, message: string): ValidationResult => ({ ok: false, rule, message });

/** Slots of the expression's linears in token-string order (a slot is written after its input). */
function slotsInTextOrder(expr: Expr): LinearSlot[] {
  const below = children(expr).flatMap(slotsInTextOrder);
  return expr.kind === 'linear' ? [...below, expr.slot] : below;
}

function* nodes(expr: Expr): Generator<Expr> {
  yield expr;
  for (const child of children(expr)) yield* nodes(child);
}

/**
 * Checks every rule on one expression. `ratio` sizes the `widths` rule; without it the expression
 * must run at every size (checked at a ratio above 1, the strict case).
 */
export function validateExpr(expr: Expr, ratio: RatioDivisor = 2): ValidationResult {
  const slots = slotsInTextOrder(expr);
  for (const slot of ['wb1', 'wb2'] as const) {
    const n = slots.filter((s) => s === slot).length;
    if (n !== 1) return fail(slot === 'wb1' ? 'one-wb1' : 'one-wb2', `needs exactly one ${slot}, found ${n}`);
  }
  if (slots[0] !== 'wb1') return fail('wb1-first', 'wb1 must come before wb2 in the expression');
  const all = [...nodes(expr)];
  if (all.some((n) => n.kind === 'linear' && n.arg.kind === 'linear')) {
    return fail('nested-linears', 'a linear may not be applied directly to the other linear');
  }
  const height = treeHeight(expr);
  if (height < MIN_HEIGHT || height > MAX_HEIGHT) {
    return fail('height', `tree height ${height} is outside [${MIN_HEIGHT}, ${MAX_HEIGHT}]`);
  }
  const doubled = all.find((n) => n.kind === 'unary' && n.arg.kind === 'unary');
  if (doubled?.kind === 'unary' && doubled.arg.kind === 'unary') {
    return fail('consecutive-activations', `${doubled.op} is applied directly to ${doubled.arg.op}`);
  }
  for (const n of all) {
    if (n.kind === 'binary') {
      const left = printExpr(n.left, 'linear');
      if (left === printExpr(n.right, 'linear')) {
        return fail('identical-operands', `${n.op} takes the same input twice: ${left}`);
      }
    }
  }
  return checkWidths(expr, ratio);
}

/** One layer's expression at the layer's own size. */
export function validateLayer(layer: LayerArch): ValidationResult {
  return validateExpr(layer.expr, layer.ratio);
}

/** Every layer of `arch` (and, when given, its layer count); the first broken rule names its layer. */
export function checkArchitecture(arch: Architecture, expectedLayers?: number): ValidationResult {
  if (expectedLayers !== undefined && arch.layers.length !== expectedLayers) {
    return fail('layer-count', `expected ${expectedLayers} layers, got ${arch.layers.length}`);
  }
  for (const [i, layer] of arch.layers.entries()) {
    const result = validateLayer(layer);
    if (!result.ok) return { ...result, layer: i, message: `layer ${i + 1}: ${result.message}` };
  }
  return OK;
}

/** Symbolic widths: H (the hidden size) or I (the intermediate width, smaller unless ratio 1). */
type Width = 'H' | 'I';

class WidthMismatch extends Error {}

function widthBackend(ratio: RatioDivisor): ExprBackend<Width> {
  const expected: Record<LinearSlot, Width> = { wb1: 'H', wb2: 'I' };
  return {
    width: (w) => (w === 'I' && ratio > 1 ? 0 : 1),
    unary: (_op, w) => w,
    binary: (_op, a) => a,
    sliceWidth: () => 'I',
    linear: (slot, w) => {
      if (ratio > 1 && w !== expected[slot]) {
        throw new WidthMismatch(`${slot} expects width ${expected[slot]} but gets ${w}`);
      }
      return slot === 'wb1' ? 'I' : 'H';
    },
  };
}

function checkWidths(expr: Expr, ratio: RatioDivisor): ValidationResult {
  try {
    const out = interpret<Width>(expr, 'H', widthBackend(ratio));
    if (ratio > 1 && out !== 'H') return fail('widths', 'the output is I wide, not H');
    return OK;
  } catch (err) {
    if (err instanceof WidthMismatch) return fail('widths', `${err.message} (I < H at ratio 1/${ratio})`);
    throw err;
  }
}
