import type { BinaryOp, Expr, LinearSlot, UnaryOp } from './ast';

/**
 * What an expression needs from a tensor backend. One interpreter serves every backend: tfjs for
 * training, plain arrays for the duplicate check, ONNX node emission for export. Tensors have a
 * last axis (the width) that linear maps change and binary ops may have to reconcile.
 */
export interface ExprBackend<T> {
  width(t: T): number;
  unary(op: UnaryOp, t: T): T;
  binary(op: BinaryOp, a: T, b: T): T;
  /** Keeps the first `width` channels of the last axis. */
  sliceWidth(t: T, width: number): T;
  linear(slot: LinearSlot, t: T): T;
}

/**
 * Evaluates `expr` on input `x`. Binary ops on inputs of different widths cut both to the smaller
 * width by keeping the first channels (the reference code's `sel_min=True`).
 */
export function interpret<T>(expr: Expr, x: T, backend: ExprBackend<T>): T {
  switch (expr.kind) {
    case 'x':
      return x;
    case 'unary':
      return backend.unary(expr.op, interpret(expr.arg, x, backend));
    case 'linear':
      return backend.linear(expr.slot, interpret(expr.arg, x, backend));
    case 'binary': {
      let a = interpret(expr.left, x, backend);
      let b = interpret(expr.right, x, backend);
      const wa = backend.width(a);
      const wb = backend.width(b);
      if (wa > wb) a = backend.sliceWidth(a, wb);
      else if (wb > wa) b = backend.sliceWidth(b, wa);
      return backend.binary(expr.op, a, b);
    }
  }
}
