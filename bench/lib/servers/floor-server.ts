/**
 * The least a grpc-js server can do per Classify, for bench/serve.ts: requests and responses stay
 * bytes (no protobuf decoding or encoding), nothing is tokenized, and the model runs on the server's
 * main thread (no worker hop, no batching, no statistics) on fixed token ids, then the same
 * precomputed response bytes go back. Set against the bare in-process ORT run, its latency is what
 * grpc-js and the loopback transport cost on this machine, which no server design on grpc-js avoids.
 *
 *   node --import tsx bench/lib/servers/floor-server.ts --model PATH --path /pkg.Service/Method --seq N --threads N
 *
 * Prints {"event":"listening","port":N} on stdout (as services/inference/main.ts does); stops on SIGTERM.
 */
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import * as ort from 'onnxruntime-node';
import { createSessionWithFallback } from '../../../services/inference/runtime/session-factory';

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      model: { type: 'string' },
      path: { type: 'string', default: '/efficientbert.v1.Inference/Classify' },
      seq: { type: 'string', default: '128' },
      threads: { type: 'string', default: '1' },
    },
  });
  if (!args.model) throw new Error('--model is required');
  const seq = Number(args.seq);
  const { session } = await createSessionWithFallback(args.model, {
    providers: ['cpu'],
    intraOpThreads: Number(args.threads),
  });
  const column = (value: bigint) => new ort.Tensor('int64', new BigInt64Array(seq).fill(value), [1, seq]);
  const feeds = { input_ids: column(1000n), attention_mask: column(1n), token_type_ids: column(0n) };
  // About the size of a one-text ClassifyResponse.
  const response = Buffer.alloc(64, 1);
  const bytes = (b: Buffer) => b;
  const server = new grpc.Server({ 'grpc.enable_channelz': 0 });
  server.addService(
    {
      Classify: {
        path: args.path,
        requestStream: false,
        responseStream: false,
        requestSerialize: bytes,
        requestDeserialize: bytes,
        responseSerialize: bytes,
        responseDeserialize: bytes,
      },
    },
    {
      Classify: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        session.run(feeds).then(
          () => callback(null, response),
          (err: Error) => callback({ code: grpc.status.INTERNAL, details: err.message }),
        );
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  process.once('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
  console.log(JSON.stringify({ event: 'listening', port }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
