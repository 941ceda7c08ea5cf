/**
 * A small typed builder of ONNX graphs on top of onnx-proto: float/int8 initializers from typed
 * arrays, int64/float constants (deduplicated), nodes with unique output names, graph inputs and
 * outputs with symbolic dimensions. Opset 17 of ai.onnx; the `com.microsoft` domain is imported
 * only when a node uses it, so a plain graph stays loadable by any ONNX runtime.
 */
import { onnx } from 'onnx-proto';

export const ONNX_OPSET = 17;
/** IR version 8 is the one that goes with opset 17 (onnx 1.12). */
export const IR_VERSION = 8;
export const MS_DOMAIN = 'com.microsoft';

/** A named attribute value; the tag says which ONNX attribute type it is. */
export type Attr =
  | { readonly int: number }
  | { readonly float: number }
  | { readonly ints: readonly number[] }
  | { readonly string: string };

/** A dimension: a fixed size or a symbolic name such as 'batch' or 'sequence'. */
export type Dim = number | string;

export type ElemType = 'float32' | 'int64';

export interface NodeOptions {
  readonly domain?: string;
  /** Number of outputs (default 1). */
  readonly outputs?: number;
  /** Base for the generated output names and the node name. */
  readonly name?: string;
}

const { DataType } = onnx.TensorProto;
const ELEM: Record<ElemType, number> = { float32: DataType.FLOAT, int64: DataType.INT64 };

export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private readonly constants = new Map<string, string>();
  private readonly domains = new Set<string>();
  private counter = 0;

  constructor(readonly graphName: string) {}

  /** A name not used yet, derived from `base`. */
  fresh(base: string): string {
    let name = base;
    while (this.names.has(name)) name = `${base}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  input(name: string, elem: ElemType, dims: readonly Dim[]): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, elem, dims));
    return name;
  }

  /** Declares `tensor` as a graph output named `name` (an Identity when the names differ). */
  output(tensor: string, name: string, elem: ElemType, dims: readonly Dim[]): void {
    if (tensor !== name) {
      this.claim(name);
      this.nodes.push({ opType: 'Identity', input: [tensor], output: [name], name });
    }
    this.outputs.push(valueInfo(name, elem, dims));
  }

  /** A float32 initializer; `data` is referenced, not copied, until the model is serialized. */
  floatInit(name: string, dims: readonly number[], data: Float32Array): string {
    checkSize(name, dims, data.length);
    return this.rawInit(
      name,
      dims,
      DataType.FLOAT,
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
  }

  int8Init(name: string, dims: readonly number[], data: Int8Array): string {
    checkSize(name, dims, data.length);
    return this.rawInit(
      name,
      dims,
      DataType.INT8,
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
  }

  /** A shared int64 constant (axes, shapes, indices); `scalar` gives it rank 0. */
  ints(values: readonly number[], scalar = false): string {
    const key = `i64:${scalar ? 's' : 'v'}:${values.join(',')}`;
    return this.constant(key, () => {
      const name = this.fresh(`const_i64_${this.constants.size}`);
      const dims = scalar ? [] : [values.length];
      this.initializers.push({ name, dims, dataType: DataType.INT64, int64Data: [...values] });
      return name;
    });
  }

  /** A shared float32 constant of rank 0 (or rank 1 when `vector`). */
  float(value: number, vector = false): string {
    const key = `f32:${vector ? 'v' : 's'}:${value}`;
    return this.constant(key, () => {
      const name = this.fresh(`const_f32_${this.constants.size}`);
      this.initializers.push({ name, dims: vector ? [1] : [], dataType: DataType.FLOAT, floatData: [value] });
      return name;
    });
  }

  /** Appends a node and returns its output names (one per `options.outputs`). */
  nodeN(
    op: string,
    inputs: readonly string[],
    attrs: Readonly<Record<string, Attr>> = {},
    options: NodeOptions = {},
  ): string[] {
    const base = options.name ?? op.toLowerCase();
    const count = options.outputs ?? 1;
    const output = Array.from({ length: count }, (_, i) =>
      this.fresh(count === 1 ? base : `${base}_out${i}`),
    );
    const domain = options.domain ?? '';
    if (domain) this.domains.add(domain);
    this.nodes.push({
      opType: op,
      domain,
      input: [...inputs],
      output,
      name: this.fresh(`${base}_node`),
      attribute: Object.entries(attrs).map(([name, value]) => attribute(name, value)),
    });
    return output;
  }

  /** A single-output node; returns its output name. */
  node(op: string, inputs: readonly string[], attrs?: Readonly<Record<string, Attr>>, options?: NodeOptions) {
    return this.nodeN(op, inputs, attrs, options)[0]!;
  }

  /** Serializes the model: opset 17 plus com.microsoft v1 when some node used it. */
  toBytes(producer = 'efficientbert-export'): Uint8Array {
    const opsetImport: onnx.IOperatorSetIdProto[] = [{ domain: '', version: ONNX_OPSET }];
    for (const domain of this.domains) opsetImport.push({ domain, version: 1 });
    const model: onnx.IModelProto = {
      irVersion: IR_VERSION,
      opsetImport,
      producerName: producer,
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
    return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  }

  private rawInit(name: string, dims: readonly number[], dataType: number, rawData: Uint8Array): string {
    this.claim(name);
    this.initializers.push({ name, dims: [...dims], dataType, rawData });
    return name;
  }

  private constant(key: string, make: () => string): string {
    let name = this.constants.get(key);
    if (name === undefined) this.constants.set(key, (name = make()));
    return name;
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new Error(`ONNX graph: name '${name}' is already used`);
    this.names.add(name);
  }
}

function valueInfo(name: string, elem: ElemType, dims: readonly Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM[elem],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: Attr): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('int' in value) return { name, type: T.INT, i: value.int };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  if ('ints' in value) return { name, type: T.INTS, ints: [...value.ints] };
  return { name, type: T.STRING, s: new TextEncoder().encode(value.string) };
}

function checkSize(name: string, dims: readonly number[], length: number): void {
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== length)
    throw new Error(`initializer '${name}': shape [${dims}] needs ${size} values, got ${length}`);
}
