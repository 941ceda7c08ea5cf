import type { Expr } from './ast';

/**
 * Positional helpers over expression trees. Nodes are numbered in prefix order (a node, then its
 * children left to right), the order DEAP keeps its individuals in. The `wb1`/`wb2` terminals are
 * not nodes here: they are a linear's slot, not a value.
 */

export function children(expr: Expr): readonly Expr[] {
  switch (expr.kind) {
    case 'x':
      return [];
    case 'unary':
    case 'linear':
      return [expr.arg];
    case 'binary':
      return [expr.left, expr.right];
  }
}

function withChildren(expr: Expr, kids: readonly Expr[]): Expr {
  switch (expr.kind) {
    case 'x':
      return expr;
    case 'unary':
    case 'linear':
      return { ...expr, arg: kids[0]! };
    case 'binary':
      return { ...expr, left: kids[0]!, right: kids[1]! };
  }
}

/** Number of nodes. */
export function treeSize(expr: Expr): number {
  return 1 + children(expr).reduce((n, c) => n + treeSize(c), 0);
}

/**
 * Height as DEAP counts it: a lone terminal has height 0 and every other node is one more than its
 * highest child. A linear's slot terminal is a child of height 0, so it never raises the height:
 * `linear(gelu(linear(x,wb1)),wb2)` has height 3.
 */
export function treeHeight(expr: Expr): number {
  return children(expr).reduce((h, c) => Math.max(h, 1 + treeHeight(c)), 0);
}

/** A copy of `expr` with the subtree at prefix-order position `index` replaced by `f(subtree)`. */
export function replaceAt(expr: Expr, index: number, f: (node: Expr) => Expr): Expr {
  let next = 0;
  const walk = (node: Expr): Expr => {
    const here = next++;
    if (here === index) {
      next += treeSize(node) - 1;
      return f(node);
    }
    const kids = children(node);
    if (kids.length === 0) return node;
    return withChildren(node, kids.map(walk));
  };
  return walk(expr);
}
