/**
 * Randomly corrupted requests (seeded, so a failure reproduces): structured mutations of valid
 * ModelInfer and Classify requests, and byte-level corruption of their encoded form and of server
 * reflection requests. Every one must get a well-formed answer (no crash, no hang) with OK or a
 * client-error status (never INTERNAL, even for bytes that do not decode), and the server must
 * still answer correctly.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protobuf from 'protobufjs';
import { Prng } from '../../../efficientbert/core/prng';
import { WordPieceTokenizer } from '../../../efficientbert/data/tokenizer';
import { loadProtoRoot } from '../../../services/inference/grpc/protos';
import type { InferenceServer } from '../../../services/inference/grpc/server';
import { softmax } from '../../../services/inference/runtime/text-encoding';
import { BERT_TOKENIZER_DIR, type TinyClassifier, writeTinyClassifier } from '../../fixtures/tiny-classifier';
import { clients, int64Bytes, startServer, tempRepository } from './harness';

const REQUESTS = 1200;
const CONCURRENCY = 40;
const SEED = 20261124;

// biome-ignore lint/suspicious/noExplicitAny: requests are built and broken freely here
type Message = any;

function validInfer(prng: Prng): Message {
  const rows = 1 + prng.int(3);
  const seq = 1 + prng.int(12);
  const ids = Array.from({ length: rows * seq }, () => prng.int(30522));
  const ones = ids.map(() => 1);
  const zeros = ids.map(() => 0);
  const shape = [String(rows), String(seq)];
  return {
    model_name: 'sst2',
    inputs: [
      { name: 'input_ids', datatype: 'INT64', shape: [...shape] },
      { name: 'attention_mask', datatype: 'INT64', shape: [...shape] },
      { name: 'token_type_ids', datatype: 'INT64', shape: [...shape] },
    ],
    raw_input_contents: [int64Bytes(ids), int64Bytes(ones), int64Bytes(zeros)],
  };
}

function randomText(prng: Prng): string {
  const alphabet = ['a', 'b', ' ', 'é', '字', '🙂', '\u0000', '\uFFFD', '.', 'the ', 'film '];
  return Array.from({ length: prng.int(60) }, () => prng.pick(alphabet)).join('');
}

const inferMutations: Array<(m: Message, prng: Prng) => void> = [
  (m, p) => (p.pick(m.inputs as Message[]).name = p.pick(['', 'input_ids', 'mask', 'x'.repeat(p.int(50))])),
  (m, p) =>
    (p.pick(m.inputs as Message[]).datatype = p.pick(['INT32', 'FP32', 'BYTES', '', 'int64', 'UINT64'])),
  (m, p) =>
    (p.pick(m.inputs as Message[]).shape = Array.from({ length: p.int(4) }, () =>
      p.pick(['-1', '0', '1', '2', '5', '9999999999', String(p.int(40))]),
    )),
  (m, p) => {
    const i = p.int(m.raw_input_contents.length);
    const raw: Buffer = m.raw_input_contents[i];
    m.raw_input_contents[i] =
      p.next() < 0.5
        ? raw.subarray(0, p.int(raw.length + 1))
        : Buffer.concat([raw, Buffer.alloc(1 + p.int(9))]);
  },
  (m, p) => m.raw_input_contents.splice(p.int(m.raw_input_contents.length), 1),
  (m, p) => m.inputs.splice(p.int(m.inputs.length), 1),
  (m, p) => m.inputs.push({ ...p.pick(m.inputs as Message[]) }),
  (m, p) =>
    (p.pick(m.inputs as Message[]).contents = {
      int64_contents: ['1', '2'],
      fp32_contents: p.next() < 0.5 ? [1.5] : [],
    }),
  (m) => {
    // Typed contents everywhere, the raw ones dropped (valid unless combined with other mutations).
    for (const [i, input] of (m.inputs as Message[]).entries()) {
      const raw: Buffer | undefined = m.raw_input_contents[i];
      const copy = new Uint8Array(raw?.length ?? 0);
      if (raw) copy.set(raw);
      input.contents = {
        int64_contents: [...new BigInt64Array(copy.buffer, 0, Math.floor(copy.length / 8))].map(String),
      };
    }
    m.raw_input_contents = [];
  },
  (m, p) => {
    const values = BigInt64Array.from({ length: 4 }, () => p.pick([-1n, 2n, 30522n, 9223372036854775807n]));
    m.raw_input_contents[p.int(m.raw_input_contents.length)] = Buffer.from(values.buffer);
  },
  (m, p) => (m.model_name = p.pick(['', 'nope', 'SST2', '../sst2', 'sst2\u0000'])),
  (m, p) => (m.model_version = p.pick(['0', '1', '2', '-1', 'latest', '99999999999999999999'])),
  (m, p) => (m.outputs = [{ name: p.pick(['logits', 'probabilities', 'hidden', '']) }]),
];

function corruptBytes(bytes: Uint8Array, prng: Prng): Buffer {
  const out = Array.from(bytes);
  for (let k = 1 + prng.int(4); k > 0; k--) {
    const at = prng.int(out.length + 1);
    const action = prng.int(4);
    if (action === 0 && out.length > 0) out[at % out.length] = prng.int(256);
    else if (action === 1) out.splice(at, 0, ...Array.from({ length: 1 + prng.int(4) }, () => prng.int(256)));
    else if (action === 2) out.splice(at, 1 + prng.int(8));
    else out.length = Math.min(out.length, at);
  }
  return Buffer.from(out);
}

describe('corrupted requests', () => {
  const repo = tempRepository();
  let fixture: TinyClassifier;
  let server: InferenceServer;
  let c: ReturnType<typeof clients>;
  let raw: grpc.Client;
  let inferType: protobuf.Type;
  let classifyType: protobuf.Type;
  let reflectionRoot: protobuf.Root;

  before(async () => {
    fixture = writeTinyClassifier(repo.dir, { name: 'sst2', version: 1, seed: 77, maxSeqLength: 24 });
    server = await startServer(repo.dir, { metricsPort: null, instances: 2 });
    c = clients(server.port);
    raw = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    const root = loadProtoRoot();
    inferType = root.lookupType('inference.ModelInferRequest');
    classifyType = root.lookupType('efficientbert.v1.ClassifyRequest');
    reflectionRoot = new protobuf.Root();
    for (const version of ['v1', 'v1alpha']) {
      reflectionRoot.loadSync(
        require.resolve(`@grpc/reflection/build/proto/grpc/reflection/${version}/reflection.proto`),
        { keepCase: true },
      );
    }
  });

  after(async () => {
    for (const client of Object.values(c)) client.close();
    raw.close();
    await server.shutdown();
    repo.remove();
  });

  function sendBytes(path: string, bytes: Buffer): Promise<grpc.ServiceError | null> {
    return new Promise((resolve) => {
      raw.makeUnaryRequest(
        path,
        (b: Buffer) => b,
        (b: Buffer) => b,
        bytes,
        new grpc.Metadata(),
        { deadline: Date.now() + 10_000 },
        (err) => resolve(err),
      );
    });
  }

  async function outcome(call: Promise<unknown>): Promise<grpc.ServiceError | null> {
    try {
      await call;
      return null;
    } catch (err) {
      return err as grpc.ServiceError;
    }
  }

  function randomRequest(prng: Prng): { bytesLevel: boolean; run: () => Promise<grpc.ServiceError | null> } {
    const kind = prng.int(4);
    const options = { deadline: Date.now() + 10_000 };
    if (kind === 0 || kind === 1) {
      const m = validInfer(prng);
      for (let k = 1 + prng.int(3); k > 0; k--) {
        // Mutations pick among the inputs and raw contents: stop once one of them removed the last.
        if (m.inputs.length === 0 || m.raw_input_contents.length === 0) break;
        prng.pick(inferMutations)(m, prng);
      }
      if (kind === 0) return { bytesLevel: false, run: () => outcome(c.oip.call('ModelInfer', m, options)) };
      const bytes = corruptBytes(inferType.encode(inferType.fromObject(validInfer(prng))).finish(), prng);
      return { bytesLevel: true, run: () => sendBytes('/inference.GRPCInferenceService/ModelInfer', bytes) };
    }
    const request: Message = {
      model_name: prng.next() < 0.9 ? 'sst2' : 'nope',
      inputs: Array.from({ length: prng.int(5) }, () => ({
        text: randomText(prng),
        text_pair: prng.next() < 0.3 ? randomText(prng) : '',
      })),
      truncation: prng.pick(['TRUNCATE', 'REJECT', 'TRUNCATION_UNSPECIFIED']),
    };
    if (kind === 2)
      return { bytesLevel: false, run: () => outcome(c.classify.call('Classify', request, options)) };
    const bytes = corruptBytes(classifyType.encode(classifyType.fromObject(request)).finish(), prng);
    return { bytesLevel: true, run: () => sendBytes('/efficientbert.v1.Inference/Classify', bytes) };
  }

  it(`answers ${REQUESTS} corrupted requests with OK or a client-error status, then still answers correctly`, async () => {
    const prng = Prng.fromSeed(SEED);
    const requests = Array.from({ length: REQUESTS }, () => randomRequest(prng));
    const counts = new Map<string, number>();
    let malformed = 0;
    for (let start = 0; start < requests.length; start += CONCURRENCY) {
      const batch = requests.slice(start, start + CONCURRENCY);
      const errors = await Promise.all(batch.map((r) => r.run()));
      errors.forEach((err, i) => {
        const code = err ? grpc.status[err.code] : 'OK';
        counts.set(code, (counts.get(code) ?? 0) + 1);
        assert.ok(
          ['OK', 'INVALID_ARGUMENT', 'NOT_FOUND'].includes(code),
          `request ${start + i}: ${code} ${err?.details}`,
        );
        if (err?.details.startsWith('request is not a valid')) {
          assert.ok(batch[i]!.bytesLevel, `request ${start + i}: ${err.details}`);
          malformed++;
        }
      });
    }
    // The mutations reach both the accepting and the rejecting paths.
    assert.ok((counts.get('OK') ?? 0) > 50, JSON.stringify([...counts]));
    assert.ok((counts.get('INVALID_ARGUMENT') ?? 0) > 300, JSON.stringify([...counts]));
    // Byte-level corruption does produce requests that do not decode at all.
    assert.ok(malformed > 20, `${malformed} undecodable requests`);

    assert.deepEqual(await c.health.call('Check', { service: '' }), { status: 'SERVING' });
    const tokenizer = WordPieceTokenizer.fromDirectory(BERT_TOKENIZER_DIR);
    const e = tokenizer.encode('still standing', undefined, 24);
    const want = softmax(fixture.reference(e.inputIds, e.tokenTypeIds, e.attentionMask));
    const res = await c.classify.call('Classify', {
      model_name: 'sst2',
      inputs: [{ text: 'still standing' }],
    });
    assert.ok(Math.abs(res.results[0].probabilities[0].probability - want[0]!) < 1e-5);
  });

  it('answers bytes that do not decode with INVALID_ARGUMENT naming the message and the reason', async () => {
    // model_name announced as 100 bytes long, 2 bytes sent.
    const truncated = Buffer.from([0x0a, 100, 0x61, 0x62]);
    let err = await sendBytes('/inference.GRPCInferenceService/ModelInfer', truncated);
    assert.equal(err?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err!.details, /^request is not a valid inference\.ModelInferRequest: index out of range/);
    err = await sendBytes('/inference.GRPCInferenceService/ModelConfig', truncated);
    assert.equal(err?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err!.details, /^request is not a valid inference\.ModelConfigRequest: index out of range/);
    // Wire type 7 does not exist.
    err = await sendBytes('/efficientbert.v1.Inference/Classify', Buffer.from([0x0f, 0x01]));
    assert.equal(err?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(
      err!.details,
      /^request is not a valid efficientbert\.v1\.ClassifyRequest: invalid wire type 7/,
    );
    err = await sendBytes('/grpc.health.v1.Health/Check', truncated);
    assert.equal(err?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err!.details, /^request is not a valid grpc\.health\.v1\.HealthCheckRequest: /);
  });

  it('answers an undecodable message of a stream in the stream and goes on with the next', async () => {
    const valid = inferType.encode(inferType.fromObject(validInfer(Prng.fromSeed(5)))).finish();
    const answers = await new Promise<Message[]>((resolve, reject) => {
      const call = raw.makeBidiStreamRequest(
        '/inference.GRPCInferenceService/ModelStreamInfer',
        (b: Buffer) => b,
        (b: Buffer) => b,
      );
      const received: Message[] = [];
      call.on('data', (b: Buffer) => received.push(b));
      call.on('error', reject);
      call.on('end', () => resolve(received));
      call.write(Buffer.from([0x0a, 100, 0x61]));
      call.write(Buffer.from(valid));
      call.end();
    });
    const root = loadProtoRoot();
    const streamType = root.lookupType('inference.ModelStreamInferResponse');
    const decoded = answers.map((b) => streamType.toObject(streamType.decode(b), { defaults: true }));
    assert.equal(decoded.length, 2);
    const failed = decoded.filter((d) => d.error_message !== '');
    assert.equal(failed.length, 1);
    assert.match(failed[0]!.error_message, /^request is not a valid inference\.ModelInferRequest: /);
    assert.ok(decoded.some((d) => d.error_message === '' && d.infer_response.model_name === 'sst2'));
  });

  /** Sends `messages` on one reflection stream; resolves with the decoded answers and the status. */
  function reflectionExchange(
    version: 'v1' | 'v1alpha',
    messages: readonly Uint8Array[],
  ): Promise<{ answers: Message[]; status: grpc.status }> {
    const responseType = reflectionRoot.lookupType(`grpc.reflection.${version}.ServerReflectionResponse`);
    return new Promise((resolve) => {
      const call = raw.makeBidiStreamRequest(
        `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
        (b: Buffer) => b,
        (b: Buffer) => b,
        new grpc.Metadata(),
        { deadline: Date.now() + 20_000 },
      );
      const answers: Message[] = [];
      call.on('data', (b: Buffer) =>
        answers.push(responseType.toObject(responseType.decode(b), { defaults: true })),
      );
      call.on('error', () => undefined);
      call.on('status', (s: grpc.StatusObject) => resolve({ answers, status: s.code }));
      for (const m of messages) call.write(Buffer.from(m));
      call.end();
    });
  }

  it('answers reflection messages that do not decode with INVALID_ARGUMENT in the stream, then goes on', async () => {
    for (const version of ['v1', 'v1alpha'] as const) {
      const requestType = reflectionRoot.lookupType(`grpc.reflection.${version}.ServerReflectionRequest`);
      const listServices = requestType.encode(requestType.fromObject({ list_services: '' })).finish();
      // Wire type 7 does not exist; the second message announces 100 bytes of host and sends 2.
      const { answers, status } = await reflectionExchange(version, [
        Uint8Array.of(0x0f, 0x01),
        Uint8Array.of(0x0a, 100, 0x61, 0x62),
        listServices,
      ]);
      assert.equal(status, grpc.status.OK, version);
      assert.equal(answers.length, 3, version);
      for (const bad of answers.slice(0, 2)) {
        assert.equal(bad.error_response.error_code, grpc.status.INVALID_ARGUMENT, version);
        assert.match(
          bad.error_response.error_message,
          new RegExp(`^request is not a valid grpc\\.reflection\\.${version}\\.ServerReflectionRequest: `),
        );
      }
      const names = answers[2].list_services_response.service.map((s: { name: string }) => s.name);
      assert.ok(names.includes('efficientbert.v1.Inference'), `${version}: ${names}`);
    }
  });

  it('answers randomly corrupted reflection requests without INTERNAL or UNKNOWN', async () => {
    const prng = Prng.fromSeed(SEED + 1);
    const requestType = reflectionRoot.lookupType('grpc.reflection.v1.ServerReflectionRequest');
    const valid = [
      { list_services: '*' },
      { file_containing_symbol: 'efficientbert.v1.Inference' },
      { file_by_filename: 'inference/grpc_service.proto' },
      { file_containing_extension: { containing_type: 'inference.ModelInferRequest', extension_number: 5 } },
      { all_extension_numbers_of_type: 'inference.ModelInferRequest' },
    ].map((m) => requestType.encode(requestType.fromObject({ host: 'localhost', ...m })).finish());
    const messages = Array.from({ length: 300 }, () => corruptBytes(prng.pick(valid), prng));
    const { answers, status } = await reflectionExchange('v1', messages);
    assert.equal(status, grpc.status.OK);
    assert.equal(answers.length, messages.length);
    const codes = new Set(
      answers.filter((a) => a.error_response).map((a) => grpc.status[a.error_response.error_code]),
    );
    for (const code of codes)
      assert.ok(['INVALID_ARGUMENT', 'NOT_FOUND', 'UNIMPLEMENTED'].includes(code!), `${[...codes]}`);
    assert.ok(codes.has('INVALID_ARGUMENT'), `${[...codes]}`);
  });

  it('names a text field holding invalid UTF-8', async () => {
    const valid = classifyType
      .encode(classifyType.fromObject({ model_name: 'sst2', inputs: [{ text: 'ok' }, { text: 'AB' }] }))
      .finish();
    const bytes = Buffer.from(valid);
    bytes[bytes.lastIndexOf(0x41)] = 0xff; // 'A' -> a byte that never occurs in UTF-8
    const err = await sendBytes('/efficientbert.v1.Inference/Classify', bytes);
    assert.equal(err?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err!.details, /inputs\[1\]\.text: not valid UTF-8/);
  });
});
