/**
 * Open Inference Protocol tensors to and from the model: request inputs (raw little-endian bytes
 * or typed contents, never both) are checked against the model's inputs and become int64 arrays;
 * outputs become raw bytes. Every rejection is INVALID_ARGUMENT and names the offending field.
 */
import { invalidArgument } from '../../grpc/errors';
import type { TensorInfo } from '../runtime/worker-protocol';

/** ORT type names to OIP datatypes. */
const OIP_DATATYPES: Record<string, string> = {
  bool: 'BOOL',
  uint8: 'UINT8',
  int8: 'INT8',
  uint16: 'UINT16',
  int16: 'INT16',
  int32: 'INT32',
  uint32: 'UINT32',
  int64: 'INT64',
  uint64: 'UINT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  string: 'BYTES',
};

export function oipDatatype(ortType: string): string {
  return OIP_DATATYPES[ortType] ?? ortType.toUpperCase();
}

type Contents = Record<string, unknown[] | undefined>;

export interface InferInputTensor {
  name: string;
  datatype: string;
  shape: string[];
  contents: Contents | null;
}

export interface DecodedInputs {
  rows: number;
  seqLength: number;
  inputs: Record<string, BigInt64Array>;
}

/** Token values the model can take: ids inside the vocabulary, masks and segment ids 0 or 1. */
export interface ValueLimits {
  vocabSize: number;
  maxSeqLength: number;
}

const MAX_ELEMENTS = 1 << 26;

function hasTypedContents(contents: Contents | null): boolean {
  return contents != null && Object.values(contents).some((v) => Array.isArray(v) && v.length > 0);
}

function parseShape(shape: string[], field: string, rank: number): number[] {
  if (shape.length !== rank)
    throw invalidArgument(
      `${field}: expected ${rank} dimensions [batch, sequence], got [${shape.join(', ')}]`,
    );
  return shape.map((s) => {
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < 1)
      throw invalidArgument(`${field}: dimensions must be >= 1, got [${shape.join(', ')}]`);
    return n;
  });
}

/** A copy of `raw` as int64 values: protobuf Buffers may start at offsets not divisible by 8. */
function int64FromRaw(raw: Uint8Array): BigInt64Array {
  const copy = new Uint8Array(raw.byteLength);
  copy.set(raw);
  return new BigInt64Array(copy.buffer);
}

function int64FromTyped(contents: Contents, field: string): BigInt64Array {
  for (const [key, values] of Object.entries(contents)) {
    if (key !== 'int64_contents' && Array.isArray(values) && values.length > 0) {
      throw invalidArgument(`${field}.${key}: INT64 data belongs in int64_contents`);
    }
  }
  const values = contents.int64_contents ?? [];
  const out = new BigInt64Array(values.length);
  values.forEach((v, i) => {
    out[i] = BigInt(v as string);
  });
  return out;
}

function checkValues(name: string, data: BigInt64Array, field: string, limits: ValueLimits): void {
  const upper = BigInt(name === 'input_ids' ? limits.vocabSize : 2);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < 0n || v >= upper) {
      throw invalidArgument(`${field}: element ${i} is ${v}, outside [0, ${upper}) for '${name}'`);
    }
  }
}

export function decodeInferInputs(
  request: { inputs: InferInputTensor[]; raw_input_contents: Uint8Array[] },
  modelInputs: readonly TensorInfo[],
  limits: ValueLimits,
): DecodedInputs {
  const { inputs, raw_input_contents: raw } = request;
  if (inputs.length === 0) throw invalidArgument('inputs: no input tensors');
  const useRaw = raw.length > 0;
  if (useRaw && raw.length !== inputs.length) {
    throw invalidArgument(`raw_input_contents: ${raw.length} entries for ${inputs.length} inputs`);
  }
  const byName = new Map(modelInputs.map((m) => [m.name, m]));
  const decoded: Record<string, BigInt64Array> = {};
  let dims: number[] | null = null;
  inputs.forEach((input, i) => {
    const field = `inputs[${i}]`;
    const spec = byName.get(input.name);
    if (!spec)
      throw invalidArgument(
        `${field}.name: unknown input '${input.name}' (model inputs: ${[...byName.keys()].join(', ')})`,
      );
    if (decoded[input.name]) throw invalidArgument(`${field}.name: input '${input.name}' given twice`);
    const expected = oipDatatype(spec.type);
    if (input.datatype !== expected) {
      throw invalidArgument(
        `${field}.datatype: '${input.name}' expects ${expected}, got '${input.datatype}'`,
      );
    }
    const shape = parseShape(input.shape, `${field}.shape`, spec.shape.length);
    shape.forEach((d, k) => {
      if (spec.shape[k] !== -1 && spec.shape[k] !== d) {
        throw invalidArgument(`${field}.shape: dimension ${k} must be ${spec.shape[k]}, got ${d}`);
      }
    });
    if (dims && dims.join() !== shape.join()) {
      throw invalidArgument(
        `${field}.shape: [${shape.join(', ')}] differs from the other inputs' [${dims.join(', ')}]`,
      );
    }
    dims = shape;
    if (shape[1]! > limits.maxSeqLength) {
      throw invalidArgument(
        `${field}.shape: sequence length ${shape[1]} exceeds the model's max_seq_length ${limits.maxSeqLength}`,
      );
    }
    const elements = shape[0]! * shape[1]!;
    if (elements > MAX_ELEMENTS) throw invalidArgument(`${field}.shape: ${elements} elements is too many`);
    let data: BigInt64Array;
    if (useRaw) {
      if (hasTypedContents(input.contents)) {
        throw invalidArgument(`${field}.contents: must be empty when raw_input_contents is used`);
      }
      const bytes = raw[i]!;
      if (bytes.byteLength !== elements * 8) {
        throw invalidArgument(
          `raw_input_contents[${i}]: ${bytes.byteLength} bytes, expected ${elements * 8} for INT64 [${shape.join(', ')}]`,
        );
      }
      data = int64FromRaw(bytes);
    } else {
      if (!input.contents) throw invalidArgument(`${field}.contents: missing (and no raw_input_contents)`);
      data = int64FromTyped(input.contents, `${field}.contents`);
      if (data.length !== elements) {
        throw invalidArgument(
          `${field}.contents.int64_contents: ${data.length} values, expected ${elements} for [${shape.join(', ')}]`,
        );
      }
    }
    checkValues(input.name, data, useRaw ? `raw_input_contents[${i}]` : `${field}.contents`, limits);
    decoded[input.name] = data;
  });
  for (const spec of modelInputs) {
    if (!decoded[spec.name]) throw invalidArgument(`inputs: missing input '${spec.name}'`);
  }
  const [rows, seqLength] = dims as unknown as [number, number];
  return { rows, seqLength, inputs: decoded };
}

/** Little-endian bytes of a typed array (the platform order on every supported machine). */
export function rawBytes(data: ArrayBufferView): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
