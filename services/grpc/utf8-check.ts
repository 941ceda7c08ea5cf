/**
 * Names the string field that made a request fail to decode: protobufjs 8 rejects invalid UTF-8 in
 * proto3 string fields, but its error says only "The encoded data was not valid for encoding
 * utf-8". This walks the wire format of the message and names the first string field whose bytes
 * are not valid UTF-8. It runs only for requests that failed to decode (request-decoding.ts).
 */
import * as protobuf from 'protobufjs';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const LENGTH_DELIMITED = 2;

/** The path of the first string field holding invalid UTF-8, e.g. 'inputs[2].text', or null. */
export function findInvalidUtf8(type: protobuf.Type, bytes: Uint8Array, prefix = ''): string | null {
  const reader = protobuf.Reader.create(bytes);
  const seen = new Map<number, number>();
  try {
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      const field = type.fieldsById[tag >>> 3];
      const wireType = tag & 7;
      if (!field || wireType !== LENGTH_DELIMITED || field.map) {
        reader.skipType(wireType);
        continue;
      }
      const index = seen.get(field.id) ?? 0;
      seen.set(field.id, index + 1);
      const path = `${prefix}${field.name}${field.repeated ? `[${index}]` : ''}`;
      const value = reader.bytes();
      if (field.type === 'string') {
        try {
          strictUtf8.decode(value);
        } catch {
          return path;
        }
      } else if (field.resolve().resolvedType instanceof protobuf.Type) {
        const inner = findInvalidUtf8(field.resolvedType as protobuf.Type, value, `${path}.`);
        if (inner) return inner;
      }
    }
  } catch {
    // Malformed wire data: the regular decoder reports it.
  }
  return null;
}
