import * as fs from 'node:fs';

/**
 * The safetensors format: 8-byte little-endian header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {...}}`, then the raw
 * little-endian data, offsets relative to the end of the header.
 */
export interface FloatTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

const BYTES: Readonly<Record<string, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};
const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);
/** Refuse absurd headers before allocating for them (the reference implementation uses 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsEntry {
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Float dtypes converted to float32; null for integer/bool tensors (e.g. HF position_ids). */
  readonly data: Float32Array | null;
}

/** Parses a safetensors buffer, validating the header, every offset and every size. */
export function parseSafetensors(buf: Buffer, source = 'safetensors'): Map<string, SafetensorsEntry> {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`);
  };
  if (buf.length < 8) fail(`file is ${buf.length} bytes, too short for a header`);
  const headerLen = Number(buf.readBigUInt64LE(0));
  if (headerLen > MAX_HEADER_BYTES || 8 + headerLen > buf.length) {
    fail(`header length ${headerLen} exceeds the file (${buf.length} bytes)`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    return fail(`header is not valid JSON (${(err as Error).message})`);
  }
  const dataStart = 8 + headerLen;
  const dataLen = buf.length - dataStart;
  const out = new Map<string, SafetensorsEntry>();
  const spans: [number, number, string][] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = String(info.dtype);
    const width = BYTES[dtype] ?? fail(`tensor '${name}' has unknown dtype '${dtype}'`);
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      return fail(`tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
    }
    const offsets = info.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isInteger(o) && o >= 0)
    ) {
      return fail(`tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end > dataLen)
      fail(`tensor '${name}' offsets [${begin}, ${end}] lie outside the data (${dataLen} bytes)`);
    if (end - begin !== numel * width) {
      fail(
        `tensor '${name}' (${dtype} [${shape}]) needs ${numel * width} bytes, offsets give ${end - begin}`,
      );
    }
    spans.push([begin, end, name]);
    const bytes = buf.subarray(dataStart + begin, dataStart + end);
    out.set(name, {
      dtype,
      shape: shape as number[],
      data: FLOAT_DTYPES.has(dtype) ? toFloat32(dtype, bytes, numel) : null,
    });
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i]![0] < spans[i - 1]![1]) fail(`tensors '${spans[i - 1]![2]}' and '${spans[i]![2]}' overlap`);
  }
  return out;
}

export function readSafetensors(path: string): Map<string, SafetensorsEntry> {
  return parseSafetensors(fs.readFileSync(path), path);
}

/** Converts `numel` little-endian values of a float dtype (F32, F64, F16, BF16) to float32. */
export function toFloat32(dtype: string, bytes: Buffer, numel: number): Float32Array {
  if (dtype === 'F32')
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + numel * 4));
  const out = new Float32Array(numel);
  for (let i = 0; i < numel; i++) {
    if (dtype === 'F64') out[i] = bytes.readDoubleLE(i * 8);
    else if (dtype === 'F16') out[i] = halfToFloat(bytes.readUInt16LE(i * 2));
    else out[i] = bfloat16ToFloat(bytes.readUInt16LE(i * 2));
  }
  return out;
}

const scratch = new DataView(new ArrayBuffer(4));

function bfloat16ToFloat(bits: number): number {
  scratch.setUint32(0, bits << 16);
  return scratch.getFloat32(0);
}

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Serializes float32 tensors (in the map's order) with an optional string metadata map. */
export function serializeSafetensors(
  tensors: ReadonlyMap<string, FloatTensor>,
  metadata?: Readonly<Record<string, string>>,
): Buffer {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.data.length)
      throw new Error(`tensor '${name}': shape [${t.shape}] needs ${numel} values, got ${t.data.length}`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + numel * 4] };
    offset += numel * 4;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(out, pos);
    pos += t.data.byteLength;
  }
  return out;
}

export function writeSafetensors(
  path: string,
  tensors: ReadonlyMap<string, FloatTensor>,
  metadata?: Readonly<Record<string, string>>,
): void {
  fs.writeFileSync(path, serializeSafetensors(tensors, metadata));
}
