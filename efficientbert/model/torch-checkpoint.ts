import * as fs from 'node:fs';
import { type SafetensorsEntry, toFloat32 } from './safetensors';
import { isZip, readZip } from './zip-archive';

/**
 * Reads the tensors of a PyTorch state dict saved by torch.save (the zip format of torch >= 1.6,
 * which is what `pytorch_model.bin` is), without Python. The pickle is interpreted by a small
 * stack machine that knows only the opcodes and globals a state dict uses; it never calls
 * anything, so a hostile pickle can at worst be refused. Tensors come back as safetensors
 * entries (float dtypes converted to float32, others with data null), keyed by state-dict name.
 */

const STORAGE_DTYPES: Readonly<Record<string, { dtype: string; width: number }>> = {
  FloatStorage: { dtype: 'F32', width: 4 },
  DoubleStorage: { dtype: 'F64', width: 8 },
  HalfStorage: { dtype: 'F16', width: 2 },
  BFloat16Storage: { dtype: 'BF16', width: 2 },
  LongStorage: { dtype: 'I64', width: 8 },
  IntStorage: { dtype: 'I32', width: 4 },
  ShortStorage: { dtype: 'I16', width: 2 },
  CharStorage: { dtype: 'I8', width: 1 },
  ByteStorage: { dtype: 'U8', width: 1 },
  BoolStorage: { dtype: 'BOOL', width: 1 },
};
const FLOAT = new Set(['F32', 'F64', 'F16', 'BF16']);

class Global {
  constructor(readonly name: string) {}
}
class Storage {
  constructor(
    readonly dtype: string,
    readonly width: number,
    readonly key: string,
  ) {}
}
class TensorRef {
  constructor(
    readonly storage: Storage,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}
/** Any object the pickle builds that is not a tensor (e.g. an empty OrderedDict awaiting items). */
type Value = unknown;
const MARK = Symbol('mark');

/** Callables a state dict's pickle may apply (REDUCE); anything else is refused by name. */
function call(fn: Global, args: Value[], fail: (m: string) => never): Value {
  switch (fn.name) {
    case 'collections.OrderedDict':
      return new Map<Value, Value>();
    case 'torch._utils._rebuild_tensor_v2': {
      const [storage, offset, shape, stride] = args;
      if (!(storage instanceof Storage)) return fail('_rebuild_tensor_v2 without a storage');
      return new TensorRef(storage, offset as number, shape as number[], stride as number[]);
    }
    case 'torch._utils._rebuild_parameter':
      return args[0];
    default:
      return fail(`the pickle calls ${fn.name}, which a state dict does not need`);
  }
}

function unpickle(buf: Buffer, fail: (m: string) => never): Value {
  const stack: Value[] = [];
  const memo = new Map<number, Value>();
  let p = 0;
  const popMark = (): Value[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail('pickle MARK missing');
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const top = () => stack[stack.length - 1];
  const line = () => {
    const end = buf.indexOf(0x0a, p);
    const s = buf.subarray(p, end).toString('utf8');
    p = end + 1;
    return s;
  };
  const str = (n: number) => {
    const s = buf.subarray(p, p + n).toString('utf8');
    p += n;
    return s;
  };
  const setItems = (d: Value, kv: Value[]) => {
    if (!(d instanceof Map)) fail('SETITEMS on something that is not a dict');
    for (let i = 0; i + 1 < kv.length; i += 2) (d as Map<Value, Value>).set(kv[i], kv[i + 1]);
  };
  while (p < buf.length) {
    const op = buf[p++]!;
    switch (op) {
      case 0x80: // PROTO
        p += 1;
        break;
      case 0x95: // FRAME
        p += 8;
        break;
      case 0x2e: // STOP
        return stack.pop();
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x71: // BINPUT
        memo.set(buf[p++]!, top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(buf.readUInt32LE(p), top());
        p += 4;
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        stack.push(memo.get(buf[p++]!));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memo.get(buf.readUInt32LE(p)));
        p += 4;
        break;
      case 0x58: // BINUNICODE
      case 0x54: // BINSTRING
      case 0x42: {
        // BINBYTES
        const n = buf.readUInt32LE(p);
        p += 4;
        stack.push(str(n));
        break;
      }
      case 0x8c: // SHORT_BINUNICODE
      case 0x55: // SHORT_BINSTRING
      case 0x43: // SHORT_BINBYTES
        stack.push(str(buf[p++]!));
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const mod = line();
        stack.push(new Global(`${mod}.${line()}`));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = stack.pop() as string;
        stack.push(new Global(`${stack.pop() as string}.${name}`));
        break;
      }
      case 0x4b: // BININT1
        stack.push(buf[p++]!);
        break;
      case 0x4d: // BININT2
        stack.push(buf.readUInt16LE(p));
        p += 2;
        break;
      case 0x4a: // BININT
        stack.push(buf.readInt32LE(p));
        p += 4;
        break;
      case 0x8a: {
        // LONG1: n-byte little-endian two's complement
        const n = buf[p++]!;
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[p + i]!);
        if (n > 0 && buf[p + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        p += n;
        stack.push(Number(v));
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        stack.push(buf.readDoubleBE(p));
        p += 8;
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([stack.pop()]);
        break;
      case 0x86: // TUPLE2
        stack.push(stack.splice(-2));
        break;
      case 0x87: // TUPLE3
        stack.push(stack.splice(-3));
        break;
      case 0x51: {
        // BINPERSID: ('storage', storage_type, key, location, numel)
        const pid = stack.pop() as Value[];
        const type = pid[1];
        const kind = type instanceof Global ? STORAGE_DTYPES[type.name.replace(/^torch\./, '')] : undefined;
        if (pid[0] !== 'storage' || !kind)
          fail(`unsupported storage ${type instanceof Global ? type.name : JSON.stringify(pid[0])}`);
        stack.push(new Storage(kind!.dtype, kind!.width, String(pid[2])));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = stack.pop() as Value[];
        const fn = stack.pop();
        if (!(fn instanceof Global)) fail('REDUCE on something that is not a global');
        stack.push(call(fn as Global, args, fail));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = stack.pop() as Value[];
        stack.push(call(stack.pop() as Global, args, fail));
        break;
      }
      case 0x62: // BUILD: object state (an OrderedDict's _metadata) carries no tensors
        stack.pop();
        break;
      case 0x73: {
        // SETITEM
        const v = stack.pop();
        const k = stack.pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x61: // APPEND
        (stack[stack.length - 2] as Value[]).push(stack.pop());
        break;
      case 0x65: {
        // APPENDS
        const items = popMark();
        (top() as Value[]).push(...items);
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16)} at byte ${p - 1}`);
    }
  }
  return fail('pickle has no STOP');
}

/** Gathers a (possibly strided) tensor view out of its storage's bytes. */
function materialize(t: TensorRef, bytes: Buffer, fail: (m: string) => never): Buffer {
  const { width } = t.storage;
  const numel = t.shape.reduce((a, b) => a * b, 1);
  let contiguous = true;
  for (let i = t.shape.length - 1, expect = 1; i >= 0; expect *= t.shape[i]!, i--)
    if (t.shape[i]! > 1 && t.stride[i] !== expect) contiguous = false;
  let maxIndex = t.offset;
  for (let i = 0; i < t.shape.length; i++) maxIndex += Math.max(0, t.shape[i]! - 1) * t.stride[i]!;
  if (numel > 0 && (maxIndex + 1) * width > bytes.length)
    fail(`a tensor view reaches past its storage '${t.storage.key}' (${bytes.length} bytes)`);
  if (contiguous) return bytes.subarray(t.offset * width, (t.offset + numel) * width);
  const out = Buffer.alloc(numel * width);
  const idx = new Array<number>(t.shape.length).fill(0);
  for (let n = 0; n < numel; n++) {
    let src = t.offset;
    for (let d = 0; d < idx.length; d++) src += idx[d]! * t.stride[d]!;
    bytes.copy(out, n * width, src * width, (src + 1) * width);
    for (let d = idx.length - 1; d >= 0 && ++idx[d]! === t.shape[d]; d--) idx[d] = 0;
  }
  return out;
}

export function parseTorchCheckpoint(buf: Buffer, source = 'checkpoint'): Map<string, SafetensorsEntry> {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`);
  };
  if (!isZip(buf))
    fail('not a zip-format torch checkpoint (saved by torch < 1.6?); re-save it with a current torch');
  const members = readZip(buf, source);
  const pkl = [...members.keys()].find((n) => n.endsWith('data.pkl') && n.split('/').length === 2);
  if (!pkl) return fail('no <archive>/data.pkl member');
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const order = members.get(`${prefix}byteorder`)?.data.toString('utf8');
  if (order !== undefined && order !== 'little') fail(`byte order '${order}' is not supported`);
  const root = unpickle(members.get(pkl)!.data, fail);
  if (!(root instanceof Map)) return fail('the pickle is not a state dict (no dict at its root)');
  const out = new Map<string, SafetensorsEntry>();
  for (const [name, value] of root as Map<Value, Value>) {
    if (!(value instanceof TensorRef)) continue;
    const member = members.get(`${prefix}data/${value.storage.key}`);
    if (!member) fail(`tensor '${String(name)}': storage data/${value.storage.key} is missing`);
    const bytes = materialize(value, member!.data, fail);
    const numel = value.shape.reduce((a, b) => a * b, 1);
    out.set(String(name), {
      dtype: value.storage.dtype,
      shape: value.shape,
      data: FLOAT.has(value.storage.dtype) ? toFloat32(value.storage.dtype, bytes, numel) : null,
    });
  }
  return out;
}

export function readTorchCheckpoint(file: string): Map<string, SafetensorsEntry> {
  return parseTorchCheckpoint(fs.readFileSync(file), file);
}
