/**
 * `search start --method JSON|@FILE`: the spec's training settings (proto MethodSettings, snake_case
 * field names as in search.proto), e.g. `{"warmup":{"finetune_steps":600}}`. protobufjs drops
 * fields it does not know without a word, so a misspelt name would silently leave the preset's
 * value: every name and value kind is checked here against the proto, and the server checks ranges.
 */
import * as fs from 'node:fs';
import type * as protobuf from 'protobufjs';
import { loadProtoRoot } from '../../grpc/protos';
import { SEARCH_PROTO_FILES } from '../../search/protos';
import { UsageError } from '../command';
import type { Message } from '../rpc';

const METHOD_TYPE = 'efficientbert.v1.MethodSettings';

function checkMessage(value: unknown, type: protobuf.Type, at: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UsageError(`--method: ${at || 'the value'} must be an object (${type.name})`);
  for (const [key, v] of Object.entries(value)) {
    const name = at ? `${at}.${key}` : key;
    const field = type.fields[key];
    if (!field)
      throw new UsageError(
        `--method: unknown field '${name}' (${type.name} has ${Object.keys(type.fields).join(', ')})`,
      );
    if (field.repeated) {
      if (!Array.isArray(v)) throw new UsageError(`--method: ${name} must be a list`);
      for (const [i, item] of v.entries()) checkValue(item, field, `${name}[${i}]`);
    } else checkValue(v, field, name);
  }
}

function checkValue(value: unknown, field: protobuf.Field, name: string): void {
  const resolved = field.resolvedType;
  if (resolved && 'fields' in resolved) {
    checkMessage(value, resolved as protobuf.Type, name);
    return;
  }
  // An enum is given by its value name; every number kind of the proto is a JSON number.
  const expected =
    resolved || field.type === 'string' ? 'string' : field.type === 'bool' ? 'boolean' : 'number';
  if (typeof value !== expected)
    throw new UsageError(`--method: ${name} must be a ${expected} (${field.type})`);
}

export function methodFromFlag(flag: string): Message {
  let text = flag;
  if (flag.startsWith('@')) {
    try {
      text = fs.readFileSync(flag.slice(1), 'utf8');
    } catch (err) {
      throw new UsageError(`--method: cannot read ${flag.slice(1)}: ${(err as Error).message}`);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--method: not JSON: ${(err as Error).message}`);
  }
  checkMessage(value, loadProtoRoot(SEARCH_PROTO_FILES).lookupType(METHOD_TYPE), '');
  return value as Message;
}
