/**
 * Reads the members of a zip archive held in memory, as torch.save writes them (since torch 1.6 a
 * checkpoint is a zip of `<name>/data.pkl`, `<name>/data/<key>`, ...). torch stores every member
 * uncompressed, so only method 0 (stored) is accepted; zip64 end records are followed because
 * torch writes them for large checkpoints.
 */
export interface ZipMember {
  readonly name: string;
  readonly data: Buffer;
}

const EOCD_SIG = 0x06054b50;
const EOCD64_LOCATOR_SIG = 0x07064b50;
const EOCD64_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

export function isZip(buf: Buffer): boolean {
  return buf.length >= 4 && buf.readUInt32LE(0) === LOCAL_SIG;
}

export function readZip(buf: Buffer, source = 'zip'): Map<string, ZipMember> {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`);
  };
  // The end-of-central-directory record sits in the last 22 + 65535 (comment) bytes.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('not a zip archive (no end-of-central-directory record)');
  let count = buf.readUInt16LE(eocd + 10);
  let cdOffset = buf.readUInt32LE(eocd + 16);
  if (eocd >= 20 && buf.readUInt32LE(eocd - 20) === EOCD64_LOCATOR_SIG) {
    const at = Number(buf.readBigUInt64LE(eocd - 20 + 8));
    if (at + 56 > buf.length || buf.readUInt32LE(at) !== EOCD64_SIG) fail('broken zip64 end record');
    count = Number(buf.readBigUInt64LE(at + 32));
    cdOffset = Number(buf.readBigUInt64LE(at + 48));
  }
  const members = new Map<string, ZipMember>();
  let p = cdOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL_SIG)
      fail(`central directory entry ${n} is broken`);
    const method = buf.readUInt16LE(p + 10);
    let compressed = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    let local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    // zip64 extended information: the 64-bit sizes/offset replace the fields that read 0xffffffff.
    const extra = buf.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
    for (let e = 0; e + 4 <= extra.length; ) {
      const id = extra.readUInt16LE(e);
      const size = extra.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        const next = () => {
          const v = Number(extra.readBigUInt64LE(q));
          q += 8;
          return v;
        };
        if (buf.readUInt32LE(p + 24) === 0xffffffff) next();
        if (compressed === 0xffffffff) compressed = next();
        if (local === 0xffffffff) local = next();
      }
      e += 4 + size;
    }
    if (method !== 0) fail(`member '${name}' is compressed (method ${method}); torch writes stored members`);
    if (local + 30 > buf.length || buf.readUInt32LE(local) !== LOCAL_SIG)
      fail(`member '${name}' has no local header`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    if (start + compressed > buf.length) fail(`member '${name}' runs past the end of the file`);
    members.set(name, { name, data: buf.subarray(start, start + compressed) });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return members;
}
