import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { InferenceServer } from '../../../services/inference/grpc/server';
import { type TinyClassifier, writeTinyClassifier } from '../../fixtures/tiny-classifier';
import {
  assertClose,
  clients,
  fetchMetrics,
  float32s,
  int64Bytes,
  rejection,
  startServer,
  tempRepository,
} from './harness';

const IDS = [101, 7592, 2088, 102, 101, 2204, 3185, 2003, 2307, 102];
const TYPES = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const MASK = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1];

function rawRequest(ids = IDS, mask = MASK, types = TYPES, shape = ['2', '5']) {
  return {
    model_name: 'sst2',
    inputs: [
      { name: 'input_ids', datatype: 'INT64', shape },
      { name: 'attention_mask', datatype: 'INT64', shape },
      { name: 'token_type_ids', datatype: 'INT64', shape },
    ],
    raw_input_contents: [int64Bytes(ids), int64Bytes(mask), int64Bytes(types)],
  };
}

interface ReflectionReply {
  list_services_response: { service: Array<{ name: string }> };
  file_descriptor_response: { file_descriptor_proto: Buffer[] };
}

function reflectionClient(port: number) {
  const proto = require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto');
  const service = protoLoader.loadSync(proto, { keepCase: true })['grpc.reflection.v1.ServerReflection'];
  const Client = grpc.makeClientConstructor(service as grpc.ServiceDefinition, 'ServerReflection');
  return new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    ServerReflectionInfo(): grpc.ClientDuplexStream<object, ReflectionReply>;
  };
}

describe('inference.GRPCInferenceService and operations', () => {
  const repo = tempRepository();
  let fixture: TinyClassifier;
  let server: InferenceServer;
  let c: ReturnType<typeof clients>;

  before(async () => {
    fixture = writeTinyClassifier(repo.dir, { name: 'sst2', version: 3, seed: 5 });
    server = await startServer(repo.dir);
    c = clients(server.port);
  });

  after(async () => {
    for (const client of Object.values(c)) client.close();
    await server.shutdown();
    repo.remove();
  });

  const referenceRows = () =>
    [0, 1].map((r) => fixture.reference(IDS.slice(r * 5, r * 5 + 5), TYPES.slice(0, 5), MASK.slice(0, 5)));

  it('ModelInfer with raw contents returns raw FP32 logits like the reference', async () => {
    const res = await c.oip.call('ModelInfer', {
      ...rawRequest(),
      id: 'req-1',
      outputs: [{ name: 'logits' }],
    });
    assert.equal(res.id, 'req-1');
    assert.equal(res.model_version, '3');
    assert.equal(res.outputs.length, 1);
    assert.deepEqual(
      { name: res.outputs[0].name, datatype: res.outputs[0].datatype, shape: res.outputs[0].shape },
      { name: 'logits', datatype: 'FP32', shape: ['2', '2'] },
    );
    const got = float32s(res.raw_output_contents[0]);
    assertClose(got, referenceRows().flat());
  });

  it('ModelInfer with typed contents gives the same answer, all outputs by default', async () => {
    const typed = {
      model_name: 'sst2',
      inputs: [
        {
          name: 'input_ids',
          datatype: 'INT64',
          shape: ['2', '5'],
          contents: { int64_contents: IDS.map(String) },
        },
        {
          name: 'attention_mask',
          datatype: 'INT64',
          shape: ['2', '5'],
          contents: { int64_contents: MASK.map(String) },
        },
        {
          name: 'token_type_ids',
          datatype: 'INT64',
          shape: ['2', '5'],
          contents: { int64_contents: TYPES.map(String) },
        },
      ],
    };
    const res = await c.oip.call('ModelInfer', typed);
    assert.deepEqual(
      res.outputs.map((o: { name: string }) => o.name),
      ['logits', 'probabilities'],
    );
    const logits = float32s(res.raw_output_contents[0]);
    assertClose(logits, referenceRows().flat());
  });

  it('rejects malformed tensors with INVALID_ARGUMENT naming the field', async () => {
    const cases: Array<[object, RegExp]> = [
      [
        {
          ...rawRequest(),
          inputs: rawRequest().inputs.map((i, k) => (k === 1 ? { ...i, name: 'mask' } : i)),
        },
        /inputs\[1\]\.name/,
      ],
      [
        {
          ...rawRequest(),
          inputs: rawRequest().inputs.map((i, k) => (k === 0 ? { ...i, datatype: 'INT32' } : i)),
        },
        /inputs\[0\]\.datatype/,
      ],
      [
        { ...rawRequest(), inputs: rawRequest().inputs.map((i) => ({ ...i, shape: ['10'] })) },
        /inputs\[0\]\.shape/,
      ],
      [rawRequest(IDS, MASK, TYPES, ['2', '6']), /raw_input_contents\[0\]/],
      [
        { ...rawRequest(), raw_input_contents: rawRequest().raw_input_contents.slice(0, 2) },
        /raw_input_contents/,
      ],
      [
        {
          ...rawRequest(),
          inputs: rawRequest().inputs.map((i, k) =>
            k === 2 ? { ...i, contents: { int64_contents: TYPES.map(String) } } : i,
          ),
        },
        /inputs\[2\]\.contents/,
      ],
      [rawRequest(IDS, MASK, TYPES, ['0', '5']), /inputs\[0\]\.shape/],
      [rawRequest(IDS.map(() => 999999)), /raw_input_contents\[0\]/],
      [{ ...rawRequest(), outputs: [{ name: 'hidden' }] }, /outputs\[0\]\.name/],
      [{ model_name: 'sst2', inputs: [] }, /inputs/],
    ];
    for (const [request, field] of cases) {
      const err = await rejection(c.oip.call('ModelInfer', request));
      assert.equal(err.code, grpc.status.INVALID_ARGUMENT, err.details);
      assert.match(err.details, field);
    }
    assert.equal(
      (await rejection(c.oip.call('ModelInfer', { ...rawRequest(), model_name: 'nope' }))).code,
      grpc.status.NOT_FOUND,
    );
  });

  it('accepts int64 raw contents at any byte offset', async () => {
    // Three tensors packed in one message: protobuf hands out Buffers at arbitrary offsets.
    const res = await c.oip.call(
      'ModelInfer',
      rawRequest([101, 102, 103, 104, 105, 106, 107, 108, 109, 110]),
    );
    assert.equal(res.raw_output_contents.length, 2);
  });

  it('answers ModelStreamInfer per request, with errors in the message', async () => {
    const stream = c.oip.raw.ModelStreamInfer();
    const answers: Array<{ error_message: string; infer_response: { id: string } | null }> = [];
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (m: (typeof answers)[number]) => answers.push(m));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    stream.write({ ...rawRequest(), id: 'a' });
    stream.write({ ...rawRequest(), model_name: 'nope', id: 'b' });
    stream.write({ ...rawRequest(), id: 'c' });
    stream.end();
    await done;
    assert.equal(answers.length, 3);
    assert.deepEqual(
      answers
        .filter((a) => a.error_message === '')
        .map((a) => a.infer_response!.id)
        .sort(),
      ['a', 'c'],
    );
    assert.match(answers.find((a) => a.error_message !== '')!.error_message, /unknown model/);
  });

  it('reports server and model metadata, readiness and the repository index', async () => {
    assert.deepEqual(await c.oip.call('ServerLive', {}), { live: true });
    assert.deepEqual(await c.oip.call('ServerReady', {}), { ready: true });
    assert.deepEqual(await c.oip.call('ModelReady', { name: 'sst2' }), { ready: true });
    assert.deepEqual(await c.oip.call('ModelReady', { name: 'sst2', version: '2' }), { ready: false });
    const meta = await c.oip.call('ServerMetadata', {});
    assert.equal(meta.name, 'efficientbert-inference');
    assert.ok(meta.extensions.includes('model_repository'));
    const model = await c.oip.call('ModelMetadata', { name: 'sst2' });
    assert.deepEqual(model.versions, ['3']);
    assert.equal(model.platform, 'onnxruntime_onnx');
    assert.deepEqual(model.inputs[0], { name: 'input_ids', datatype: 'INT64', shape: ['-1', '-1'] });
    assert.deepEqual(model.outputs[0], { name: 'logits', datatype: 'FP32', shape: ['-1', '2'] });
    assert.equal(
      (await rejection(c.oip.call('ModelMetadata', { name: 'nope' }))).code,
      grpc.status.NOT_FOUND,
    );
    const index = await c.oip.call('RepositoryIndex', {});
    assert.deepEqual(index.models, [{ name: 'sst2', version: '3', state: 'READY', reason: '' }]);
  });

  it('reports the model configuration the way Triton does, without the batch dimension', async () => {
    const expected = {
      name: 'sst2',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      version_policy: { latest: { num_versions: 1 }, policy_choice: 'latest' },
      max_batch_size: 32,
      input: ['input_ids', 'attention_mask', 'token_type_ids'].map((name) => ({
        name,
        data_type: 'TYPE_INT64',
        dims: ['-1'],
      })),
      output: ['logits', 'probabilities'].map((name) => ({ name, data_type: 'TYPE_FP32', dims: ['2'] })),
      dynamic_batching: { max_queue_delay_microseconds: '0' },
      scheduling_choice: 'dynamic_batching',
      instance_group: [{ name: 'sst2_0', kind: 'KIND_CPU', count: 1 }],
    };
    assert.deepEqual((await c.oip.call('ModelConfig', { name: 'sst2' })).config, expected);
    assert.deepEqual((await c.oip.call('ModelConfig', { name: 'sst2', version: '3' })).config, expected);
    for (const request of [{ name: 'nope' }, { name: 'sst2', version: '2' }]) {
      const err = await rejection(c.oip.call('ModelConfig', request));
      assert.equal(err.code, grpc.status.NOT_FOUND, JSON.stringify(request));
    }
  });

  it('reports the batching and instance settings it serves with in ModelConfig', async () => {
    const cases = [
      {
        batching: { enabled: true, maxBatchSize: 8, maxQueueDelayMs: 5, maxQueueSize: 16 },
        dynamic_batching: { max_queue_delay_microseconds: '5000' },
      },
      // Off: no dynamic_batching (Triton's default scheduler), a request still carries many rows.
      {
        batching: { enabled: false, maxBatchSize: 4, maxQueueDelayMs: 0, maxQueueSize: 16 },
        dynamic_batching: undefined,
      },
    ];
    for (const { batching, dynamic_batching } of cases) {
      const other = await startServer(repo.dir, { metricsPort: null, instances: 2, batching });
      const client = clients(other.port).oip;
      try {
        const { config } = await client.call('ModelConfig', { name: 'sst2' });
        assert.deepEqual(
          {
            max_batch_size: config.max_batch_size,
            dynamic_batching: config.dynamic_batching,
            instance_group: config.instance_group,
          },
          {
            max_batch_size: batching.maxBatchSize,
            dynamic_batching,
            instance_group: [{ name: 'sst2_0', kind: 'KIND_CPU', count: 2 }],
          },
        );
      } finally {
        client.close();
        await other.shutdown();
      }
    }
  });

  it('counts requests in ModelStatistics and Prometheus metrics', async () => {
    const stats = (await c.oip.call('ModelStatistics', { name: 'sst2' })).model_stats[0];
    assert.equal(stats.version, '3');
    const success = Number(stats.inference_stats.success.count);
    const fail = Number(stats.inference_stats.fail.count);
    assert.ok(success >= 4, `success ${success}`);
    assert.ok(fail >= 9, `fail ${fail}`);
    assert.ok(Number(stats.inference_stats.success.ns) > 0);
    assert.ok(Number(stats.execution_count) >= 4);
    assert.ok(stats.batch_stats.some((b: { batch_size: string }) => b.batch_size === '2'));
    const text = await fetchMetrics(server.metricsPort!);
    assert.match(text, /efficientbert_inference_requests_total\{model="sst2",outcome="ok"\} \d+/);
    assert.match(
      text,
      /efficientbert_inference_requests_total\{model="sst2",outcome="invalid_argument"\} \d+/,
    );
    assert.match(text, /efficientbert_inference_requests_total\{model="_unknown",outcome="not_found"\} \d+/);
    assert.match(
      text,
      /efficientbert_inference_request_duration_seconds_bucket\{model="sst2",le="\+Inf"\} \d+/,
    );
    assert.match(text, /efficientbert_inference_queue_duration_seconds_count\{model="sst2"\} \d+/);
    assert.match(text, /efficientbert_inference_batch_size_bucket\{model="sst2",le="2"\} \d+/);
  });

  it('answers health checks and lists and describes its services through reflection', async () => {
    assert.deepEqual(await c.health.call('Check', { service: '' }), { status: 'SERVING' });
    assert.deepEqual(await c.health.call('Check', { service: 'efficientbert.v1.Inference' }), {
      status: 'SERVING',
    });
    assert.equal((await rejection(c.health.call('Check', { service: 'nope' }))).code, grpc.status.NOT_FOUND);

    const reflection = reflectionClient(server.port);
    const ask = (request: object) =>
      new Promise<ReflectionReply>((resolve, reject) => {
        const call = reflection.ServerReflectionInfo();
        call.on('data', (reply: ReflectionReply) => {
          resolve(reply);
          call.end();
        });
        call.on('error', reject);
        call.write(request);
      });
    const reply = await ask({ list_services: '' });
    // Triton's model configuration messages (model_config.proto) are described too, e.g. for grpcurl.
    const config = await ask({ file_containing_symbol: 'inference.ModelConfigResponse' });
    reflection.close();
    const names = reply.list_services_response.service.map((s: { name: string }) => s.name);
    for (const name of [
      'inference.GRPCInferenceService',
      'efficientbert.v1.Inference',
      'grpc.health.v1.Health',
    ]) {
      assert.ok(names.includes(name), `${name} in ${names}`);
    }
    const described = Buffer.concat(config.file_descriptor_response.file_descriptor_proto);
    for (const symbol of ['ModelConfigResponse', 'ModelInstanceGroup', 'TYPE_INT64']) {
      assert.ok(described.includes(symbol), `${symbol} in the file descriptors`);
    }
  });

  it('refuses messages over the receive limit with RESOURCE_EXHAUSTED', async () => {
    const small = await startServer(repo.dir, { maxReceiveMessageBytes: 64 * 1024, metricsPort: null });
    const client = clients(small.port).oip;
    try {
      const err = await rejection(client.call('ModelInfer', { ...rawRequest(), id: 'x'.repeat(100 * 1024) }));
      assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.ok(await client.call('ModelInfer', rawRequest()));
    } finally {
      client.close();
      await small.shutdown();
    }
  });
});
