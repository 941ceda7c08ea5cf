import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as protobuf from 'protobufjs';
import { PROTO_ROOT } from '../../../services/grpc/protos';
import { findInvalidUtf8 } from '../../../services/grpc/utf8-check';
import { decodeInferInputs } from '../../../services/inference/grpc/oip-tensors';
import {
  assembleFeeds,
  type SequenceJob,
  sequenceBucket,
  splitOutputs,
} from '../../../services/inference/runtime/batch-tensors';

const job = (rows: number, seqLength: number, fill: bigint): SequenceJob => ({
  rows,
  seqLength,
  bucket: sequenceBucket(seqLength, true),
  deadline: Number.POSITIVE_INFINITY,
  isCancelled: () => false,
  enqueuedNs: 0n,
  inputs: { input_ids: new BigInt64Array(rows * seqLength).fill(fill) },
});

describe('batch tensors', () => {
  it('buckets padded lengths by powers of two and client tensors exactly', () => {
    assert.equal(sequenceBucket(3, true), 'pad:8');
    assert.equal(sequenceBucket(9, true), 'pad:16');
    assert.equal(sequenceBucket(16, true), 'pad:16');
    assert.equal(sequenceBucket(9, false), 'exact:9');
  });

  it('pads rows to the longest job with zeros and splits outputs back per job', () => {
    const jobs = [job(1, 2, 7n), job(2, 3, 5n)];
    const feeds = assembleFeeds(jobs);
    assert.deepEqual(feeds.input_ids!.dims, [3, 3]);
    assert.deepEqual([...feeds.input_ids!.data], [7n, 7n, 0n, 5n, 5n, 5n, 5n, 5n, 5n]);
    const outputs = { logits: { type: 'float32', dims: [3, 2], data: Float32Array.of(1, 2, 3, 4, 5, 6) } };
    const split = splitOutputs(outputs, jobs);
    assert.deepEqual([...split[0]!.logits!.data], [1, 2]);
    assert.deepEqual(split[1]!.logits!.dims, [2, 2]);
    assert.deepEqual([...split[1]!.logits!.data], [3, 4, 5, 6]);
  });
});

describe('batch tensors without copies', () => {
  it('runs a batch of one job on its own arrays and hands it every output', () => {
    const one = job(1, 4, 9n);
    const feeds = assembleFeeds([one]);
    assert.equal(feeds.input_ids!.data, one.inputs.input_ids);
    assert.deepEqual(feeds.input_ids!.dims, [1, 4]);
    const outputs = { logits: { type: 'float32', dims: [1, 2], data: Float32Array.of(1, 2) } };
    assert.equal(splitOutputs(outputs, [one])[0], outputs);
  });

  it('copies a lone job whose array is a view into a larger buffer (its buffer is transferred)', () => {
    const backing = new BigInt64Array(8).fill(3n);
    const view = { ...job(1, 4, 0n), inputs: { input_ids: backing.subarray(2, 6) } };
    const feeds = assembleFeeds([view]);
    assert.notEqual(feeds.input_ids!.data.buffer, backing.buffer);
    assert.deepEqual([...feeds.input_ids!.data], [3n, 3n, 3n, 3n]);
  });
});

describe('OIP input decoding', () => {
  it('reads int64 raw contents that start at an offset not divisible by 8', () => {
    const backing = Buffer.alloc(8 * 2 + 3);
    const raw = backing.subarray(3);
    raw.writeBigInt64LE(101n, 0);
    raw.writeBigInt64LE(102n, 8);
    const decoded = decodeInferInputs(
      {
        inputs: [{ name: 'input_ids', datatype: 'INT64', shape: ['1', '2'], contents: null }],
        raw_input_contents: [raw],
      },
      [{ name: 'input_ids', type: 'int64', shape: [-1, -1] }],
      { vocabSize: 1000, maxSeqLength: 8 },
    );
    assert.deepEqual([...decoded.inputs.input_ids!], [101n, 102n]);
  });
});

describe('findInvalidUtf8', () => {
  const root = new protobuf.Root().loadSync(join(PROTO_ROOT, 'efficientbert/v1/inference.proto'), {
    keepCase: true,
  });
  const type = root.lookupType('efficientbert.v1.ClassifyRequest');

  it('finds nothing in valid text, including non-ASCII', () => {
    const bytes = type
      .encode(type.fromObject({ model_name: 'm', inputs: [{ text: 'héllo 字 🙂', text_pair: 'ok' }] }))
      .finish();
    assert.equal(findInvalidUtf8(type, bytes), null);
  });

  it('names a broken string in a nested repeated message', () => {
    const bytes = Buffer.from(
      type.encode(type.fromObject({ inputs: [{ text: 'a' }, { text: 'b', text_pair: 'Zz' }] })).finish(),
    );
    bytes[bytes.indexOf('Zz')] = 0xc3; // a lead byte followed by 'z' is not UTF-8
    assert.equal(findInvalidUtf8(type, bytes), 'inputs[1].text_pair');
  });
});
