import type { Architecture, Expr, LayerArch } from './ast';
import { linearName } from './linear-names';

/** Token form with the given linear name: `linear1_1(gelu(linear1_1(x,wb1)),wb2)`. */
export function printExpr(expr: Expr, linear: string): string {
  switch (expr.kind) {
    case 'x':
      return 'x';
    case 'unary':
      return `${expr.op}(${printExpr(expr.arg, linear)})`;
    case 'binary':
      return `${expr.op}(${printExpr(expr.left, linear)},${printExpr(expr.right, linear)})`;
    case 'linear':
      return `${linear}(${printExpr(expr.arg, linear)},${expr.slot})`;
  }
}

/** A layer in the paper's token form, its size written into the linear names. */
export function printLayer(layer: LayerArch): string {
  return printExpr(layer.expr, linearName(layer));
}

/** An architecture as the paper writes it: its layers' token forms joined by ", ". */
export function printArchitecture(arch: Architecture): string {
  return arch.layers.map(printLayer).join(', ');
}

/**
 * Math form for humans, biases omitted: `W2·gelu(W1·max(x, tanh(x)))`, `W2·relu((W1·x) ⊙ x)`.
 * add and mul are infix (`+`, `⊙`), max stays a function; a linear or infix operand of an infix
 * op or a linear is parenthesized.
 */
export function mathExpr(expr: Expr): string {
  switch (expr.kind) {
    case 'x':
      return 'x';
    case 'unary':
      return `${expr.op}(${mathExpr(expr.arg)})`;
    case 'linear':
      return `${expr.slot === 'wb1' ? 'W1' : 'W2'}·${operand(expr.arg)}`;
    case 'binary':
      if (expr.op === 'max') return `max(${mathExpr(expr.left)}, ${mathExpr(expr.right)})`;
      return `${operand(expr.left)} ${expr.op === 'add' ? '+' : '⊙'} ${operand(expr.right)}`;
  }
}

function operand(expr: Expr): string {
  const text = mathExpr(expr);
  const infix = expr.kind === 'linear' || (expr.kind === 'binary' && expr.op !== 'max');
  return infix ? `(${text})` : text;
}
