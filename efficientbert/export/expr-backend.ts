import type { BinaryOp, LinearSlot, UnaryOp } from '../space/ast';
import type { ExprBackend } from '../space/interpret';
import { emitUnary } from './activations';
import type { GraphBuilder } from './graph-builder';
import { type DenseParams, emitDense } from './linear';
import type { ExportOptions } from './options';

/** A tensor of the graph being built: its name and the width of its last axis. */
export interface Value {
  readonly name: string;
  readonly width: number;
}

const BINARY_NODE: Record<BinaryOp, string> = { add: 'Add', mul: 'Mul', max: 'Max' };

/**
 * Emits an FFN expression as ONNX nodes, so the exporter and the tfjs model share one
 * interpreter (efficientbert/space/interpret.ts) and with it the width-mismatch rule.
 */
export class OnnxExprBackend implements ExprBackend<Value> {
  constructor(
    private readonly b: GraphBuilder,
    private readonly linears: Readonly<Record<LinearSlot, DenseParams>>,
    private readonly options: ExportOptions,
  ) {}

  width(t: Value): number {
    return t.width;
  }

  unary(op: UnaryOp, t: Value): Value {
    return { name: emitUnary(this.b, op, t.name, this.options.fused), width: t.width };
  }

  binary(op: BinaryOp, a: Value, c: Value): Value {
    return { name: this.b.node(BINARY_NODE[op], [a.name, c.name]), width: a.width };
  }

  sliceWidth(t: Value, width: number): Value {
    const b = this.b;
    const name = b.node(
      'Slice',
      [t.name, b.ints([0]), b.ints([width]), b.ints([-1])],
      {},
      { name: 'narrow' },
    );
    return { name, width };
  }

  linear(slot: LinearSlot, t: Value): Value {
    const p = this.linears[slot];
    if (p.rows !== t.width) throw new Error(`${slot} expects input width ${p.rows}, got ${t.width}`);
    return { name: emitDense(this.b, t.name, p, this.options), width: p.cols };
  }
}
