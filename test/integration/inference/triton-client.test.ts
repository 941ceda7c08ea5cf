/**
 * Interop with a real Triton client: NVIDIA's `tritonclient[grpc]` (grpcio, i.e. gRPC C-core, and
 * Triton's own generated stubs) against our inference.GRPCInferenceService over loopback. The
 * Python side (triton_client_check.py) only calls the client and reports what it saw as JSON;
 * the expectations are here.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { SERVER_NAME } from '../../../services/inference/grpc/oip-service';
import type { InferenceServer } from '../../../services/inference/grpc/server';
import { type TinyClassifier, writeTinyClassifier } from '../../fixtures/tiny-classifier';
import { assertClose, startServer, tempRepository } from './harness';

const SCRIPT = join(__dirname, 'triton_client_check.py');
const MODEL = 'sst2';
const VERSION = '3';
// Batch 2, sequence 6: the second row is padded, and the first uses both token types.
const TOKENS = {
  input_ids: [
    [101, 7592, 2088, 102, 2651, 102],
    [101, 2204, 3185, 102, 0, 0],
  ],
  attention_mask: [
    [1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 0, 0],
  ],
  token_type_ids: [
    [0, 0, 0, 0, 1, 1],
    [0, 0, 0, 0, 0, 0],
  ],
};

interface TritonResult {
  model_version: string;
  id: string;
  outputs: Array<{ name: string; datatype: string; shape: number[] }>;
  logits: number[][];
}

interface TritonError {
  status: string | null;
  message: string;
}

/** What triton_client_check.py prints. */
interface Observations {
  server_live: boolean;
  server_ready: boolean;
  model_ready: boolean;
  model_ready_any_version: boolean;
  model_ready_other_version: boolean;
  model_ready_unknown_model: boolean;
  // Protobuf JSON (MessageToJson): int64 fields are strings, empty fields are left out.
  server_metadata: { name: string; version: string; extensions: string[] };
  model_metadata: object;
  model_config: object;
  model_config_any_version: object;
  repository_index: object;
  infer: TritonResult;
  infer_gzip: TritonResult;
  stream: { answers: number; ok: Record<string, TritonResult>; errors: string[] };
  // null where the call unexpectedly succeeded.
  errors: Record<
    | 'metadata_unknown_model'
    | 'config_unknown_model'
    | 'config_other_version'
    | 'infer_unknown_model'
    | 'infer_fp32_input_ids',
    TritonError | null
  >;
  statistics: {
    model_stats: Array<{
      name: string;
      version: string;
      inference_count: string;
      inference_stats: Record<'success' | 'fail', { count?: string }>;
    }>;
  };
}

/** Missing Python tools fail the test, as the README's setup (`npm run setup`) installs them. */
function requireTritonClient(): void {
  const probe = spawnSync('python3', ['-c', 'import tritonclient.grpc'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    assert.fail(
      `tritonclient is not installed: run \`npm run setup\` (requirements-dev.txt pins tritonclient[grpc])\n${probe.error ?? probe.stderr}`,
    );
  }
}

/** Runs the client script asynchronously: the server it talks to lives on this event loop. */
async function observeWithTritonClient(port: number): Promise<Observations> {
  const request = JSON.stringify({ model: MODEL, version: VERSION, inputs: TOKENS });
  try {
    const { stdout } = await promisify(execFile)('python3', [SCRIPT, `127.0.0.1:${port}`, request], {
      timeout: 60_000,
    });
    return JSON.parse(stdout) as Observations;
  } catch (err) {
    const { stderr } = err as { stderr?: string };
    throw new Error(`triton_client_check.py failed: ${(err as Error).message}\n${stderr ?? ''}`);
  }
}

/** Logits from an in-process ONNX Runtime session on the same model file, row by row. */
async function onnxRuntimeLogits(fixture: TinyClassifier): Promise<number[][]> {
  const session = await ort.InferenceSession.create(join(fixture.versionDir, 'model.onnx'));
  const tensor = (rows: number[][]) =>
    new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0]!.length]);
  try {
    const out = await session.run({
      input_ids: tensor(TOKENS.input_ids),
      attention_mask: tensor(TOKENS.attention_mask),
      token_type_ids: tensor(TOKENS.token_type_ids),
    });
    const [rows, labels] = out.logits!.dims as [number, number];
    const flat = [...(out.logits!.data as Float32Array)];
    return Array.from({ length: rows }, (_, r) => flat.slice(r * labels, (r + 1) * labels));
  } finally {
    await session.release();
  }
}

describe('the Triton Python gRPC client against our server', () => {
  const repo = tempRepository();
  let server: InferenceServer;
  let seen: Observations;
  let expectedLogits: number[][];

  before(async () => {
    requireTritonClient();
    const fixture = writeTinyClassifier(repo.dir, { name: MODEL, version: Number(VERSION), seed: 11 });
    server = await startServer(repo.dir, { metricsPort: null });
    expectedLogits = await onnxRuntimeLogits(fixture);
    seen = await observeWithTritonClient(server.port);
  });

  after(async () => {
    await server?.shutdown();
    repo.remove();
  });

  it('sees the server and the model live and ready, by version', () => {
    assert.deepEqual(
      {
        server_live: seen.server_live,
        server_ready: seen.server_ready,
        model_ready: seen.model_ready,
        model_ready_any_version: seen.model_ready_any_version,
        model_ready_other_version: seen.model_ready_other_version,
        model_ready_unknown_model: seen.model_ready_unknown_model,
      },
      {
        server_live: true,
        server_ready: true,
        model_ready: true,
        model_ready_any_version: true,
        model_ready_other_version: false,
        model_ready_unknown_model: false,
      },
    );
  });

  it('reads server metadata, model metadata and the repository index', () => {
    assert.equal(seen.server_metadata.name, SERVER_NAME);
    assert.deepEqual(seen.server_metadata.extensions, ['model_repository', 'statistics']);
    const dynamic = ['-1', '-1'];
    assert.deepEqual(seen.model_metadata, {
      name: MODEL,
      versions: [VERSION],
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'input_ids', datatype: 'INT64', shape: dynamic },
        { name: 'attention_mask', datatype: 'INT64', shape: dynamic },
        { name: 'token_type_ids', datatype: 'INT64', shape: dynamic },
      ],
      outputs: [
        { name: 'logits', datatype: 'FP32', shape: ['-1', '2'] },
        { name: 'probabilities', datatype: 'FP32', shape: ['-1', '2'] },
      ],
    });
    assert.deepEqual(seen.repository_index, { models: [{ name: MODEL, version: VERSION, state: 'READY' }] });
  });

  it('reads the model configuration with Triton data types and dims without the batch dimension', () => {
    const expected = {
      config: {
        name: MODEL,
        platform: 'onnxruntime_onnx',
        backend: 'onnxruntime',
        version_policy: { latest: { num_versions: 1 } },
        max_batch_size: 32,
        input: ['input_ids', 'attention_mask', 'token_type_ids'].map((name) => ({
          name,
          data_type: 'TYPE_INT64',
          dims: ['-1'],
        })),
        output: ['logits', 'probabilities'].map((name) => ({ name, data_type: 'TYPE_FP32', dims: ['2'] })),
        // max_queue_delay_microseconds is 0, and protobuf JSON leaves out fields at their default.
        dynamic_batching: {},
        instance_group: [{ name: `${MODEL}_0`, kind: 'KIND_CPU', count: 1 }],
      },
    };
    assert.deepEqual(seen.model_config, expected);
    assert.deepEqual(seen.model_config_any_version, expected);
  });

  it('infers with raw INT64 tensors: all outputs by default, logits as ONNX Runtime gives them', () => {
    const { logits, ...rest } = seen.infer;
    assert.deepEqual(rest, {
      model_version: VERSION,
      id: 'unary',
      outputs: [
        { name: 'logits', datatype: 'FP32', shape: [2, 2] },
        { name: 'probabilities', datatype: 'FP32', shape: [2, 2] },
      ],
    });
    assertClose(logits.flat(), expectedLogits.flat(), 1e-5);
  });

  it('infers with a gzip-compressed request', () => {
    assert.equal(seen.infer_gzip.id, 'gzip');
    assertClose(seen.infer_gzip.logits.flat(), expectedLogits.flat(), 1e-5);
  });

  it('infers on a ModelStreamInfer stream, with an unknown model reported in the stream', () => {
    assert.equal(seen.stream.answers, 2);
    const { logits, ...rest } = seen.stream.ok['stream-ok']!;
    assert.deepEqual(rest, {
      model_version: VERSION,
      id: 'stream-ok',
      outputs: [{ name: 'logits', datatype: 'FP32', shape: [2, 2] }],
    });
    assertClose(logits.flat(), expectedLogits.flat(), 1e-5);
    assert.deepEqual(seen.stream.errors, ["Request for unknown model: 'no-such-model' is not found"]);
  });

  it('gets gRPC statuses the client maps to InferenceServerException', () => {
    const {
      metadata_unknown_model,
      config_unknown_model,
      config_other_version,
      infer_unknown_model,
      infer_fp32_input_ids,
    } = seen.errors;
    assert.equal(metadata_unknown_model?.status, 'StatusCode.NOT_FOUND');
    assert.equal(config_unknown_model?.status, 'StatusCode.NOT_FOUND');
    assert.match(config_unknown_model.message, /no-such-model/);
    assert.equal(config_other_version?.status, 'StatusCode.NOT_FOUND');
    assert.equal(infer_unknown_model?.status, 'StatusCode.NOT_FOUND');
    assert.match(infer_unknown_model.message, /no-such-model/);
    assert.equal(infer_fp32_input_ids?.status, 'StatusCode.INVALID_ARGUMENT');
    assert.match(
      infer_fp32_input_ids.message,
      /inputs\[0\]\.datatype: 'input_ids' expects INT64, got 'FP32'/,
    );
  });

  it('reads statistics that count its requests', () => {
    const [stats] = seen.statistics.model_stats;
    // Successes: unary, gzip and stream requests, 2 rows each. Failure: the FP32 request.
    assert.deepEqual(
      {
        name: stats!.name,
        version: stats!.version,
        inference_count: stats!.inference_count,
        success: stats!.inference_stats.success.count,
        fail: stats!.inference_stats.fail.count,
      },
      { name: MODEL, version: VERSION, inference_count: '6', success: '3', fail: '1' },
    );
  });
});
