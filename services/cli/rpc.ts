/**
 * Promise-style gRPC calls for the CLI, with every failure turned into a message that says what to
 * do next and an exit code scripts can rely on: UNAVAILABLE (nothing listening, or the service's
 * own backend down) → 3; INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION and the rest → 1.
 */
import * as grpc from '@grpc/grpc-js';
import { clientSecurity } from '../dev/client-security';
import { clientConstructor } from '../grpc/protos';
import { SecurityConfigError } from '../grpc/tls';
import { loadPackageDefinition, SERVICE_NAMES } from '../inference/grpc/protos';
import { loadSearchProtos, SEARCH_SERVICE } from '../search/protos';
import { EXIT, UsageError } from './command';
import type { CliConfig } from './config';

// biome-ignore lint/suspicious/noExplicitAny: proto-loader messages are untyped plain objects
export type Message = Record<string, any>;
type Dynamic = Record<string, (...args: unknown[]) => unknown>;

export interface ServiceTarget {
  /** How the user knows it: "search service". */
  readonly label: string;
  readonly address: string;
  /** The environment variable that points the CLI elsewhere. */
  readonly envVar: string;
  readonly flag: string;
}

/** The error of a failed call, phrased for the user. */
export function callError(err: unknown, target: ServiceTarget): UsageError {
  const e = err as Partial<grpc.ServiceError>;
  const details = e.details || (err instanceof Error ? err.message : String(err));
  if (e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED) {
    const cause = /No connection established|ECONNREFUSED|connect|Deadline/i.test(details)
      ? `no ${target.label} at ${target.address}`
      : `${target.label} at ${target.address} is unavailable (${details})`;
    return new UsageError(
      `${cause}: run \`efficientbert dev up\` or set ${target.envVar} (or --${target.flag})`,
      EXIT.unavailable,
    );
  }
  if (e.code === grpc.status.UNIMPLEMENTED)
    return new UsageError(
      `${target.address} does not serve the ${target.label} (${details}); check ${target.envVar}`,
      EXIT.failure,
    );
  if (e.code === grpc.status.UNAUTHENTICATED || e.code === grpc.status.PERMISSION_DENIED)
    return new UsageError(
      `${target.label} at ${target.address} refused the call (${details}): set --token-file or ` +
        'EFFICIENTBERT_TOKEN to a token it accepts (read-write for changes)',
      EXIT.failure,
    );
  const name = e.code !== undefined ? grpc.status[e.code] : 'error';
  return new UsageError(`${target.label}: ${name}: ${details}`, EXIT.failure);
}

export class RpcClient {
  constructor(
    private readonly client: grpc.Client,
    readonly target: ServiceTarget,
  ) {}

  unary(method: string, request: Message, timeoutMs = 30_000): Promise<Message> {
    return new Promise((resolve, reject) => {
      (this.client as unknown as Dynamic)[method]!(
        request,
        { deadline: Date.now() + timeoutMs },
        (err: grpc.ServiceError | null, reply: Message) =>
          err ? reject(callError(err, this.target)) : resolve(reply),
      );
    });
  }

  /** A server stream; phrase its 'error' events with callError(err, this.target). */
  stream(method: string, request: Message): grpc.ClientReadableStream<Message> {
    return (this.client as unknown as Dynamic)[method]!(request) as grpc.ClientReadableStream<Message>;
  }

  /** A client stream: writes every message of `requests`, then resolves with the one reply. */
  clientStream(method: string, requests: AsyncIterable<Message>, timeoutMs = 600_000): Promise<Message> {
    return new Promise((resolve, reject) => {
      const call = (this.client as unknown as Dynamic)[method]!(
        { deadline: Date.now() + timeoutMs },
        (err: grpc.ServiceError | null, reply: Message) =>
          err ? reject(callError(err, this.target)) : resolve(reply),
      ) as grpc.ClientWritableStream<Message>;
      (async () => {
        for await (const request of requests) {
          // Respect backpressure: a large file is never queued in memory whole.
          if (!call.write(request)) await new Promise((r) => call.once('drain', r));
        }
        call.end();
      })().catch((err: unknown) => {
        call.cancel();
        reject(err);
      });
    });
  }

  close(): void {
    this.client.close();
  }
}

/** TLS and token of the configuration; a bad file is a usage error naming the setting. */
function security(config: CliConfig): ReturnType<typeof clientSecurity> {
  try {
    return clientSecurity(config);
  } catch (err) {
    if (err instanceof SecurityConfigError) throw new UsageError(err.message, EXIT.usage);
    throw err;
  }
}

export function searchRpc(config: CliConfig): RpcClient {
  const Ctor = clientConstructor(loadSearchProtos(), SEARCH_SERVICE);
  const { credentials, options } = security(config);
  return new RpcClient(new Ctor(config.searchAddress, credentials, options), {
    label: 'search service',
    address: config.searchAddress,
    envVar: 'EFFICIENTBERT_SEARCH_ADDRESS',
    flag: 'search-address',
  });
}

export function inferenceRpc(config: CliConfig): RpcClient {
  const definition = loadPackageDefinition();
  const Ctor = grpc.makeClientConstructor(
    definition[SERVICE_NAMES.classify] as grpc.ServiceDefinition,
    SERVICE_NAMES.classify,
  );
  const { credentials, options } = security(config);
  return new RpcClient(new Ctor(config.inferenceAddress, credentials, options), {
    label: 'inference service',
    address: config.inferenceAddress,
    envVar: 'EFFICIENTBERT_INFERENCE_ADDRESS',
    flag: 'inference-address',
  });
}
