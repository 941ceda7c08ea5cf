/**
 * grpc.health.v1.Health for every server, served by grpc-node's grpc-health-check (Check, Watch,
 * List): one status for the server as a whole ('') and one per served service, all moved together.
 * Also the one-shot Check probe the dev stack uses to wait for a server.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import { clientConstructor, HEALTH_PROTO, HEALTH_SERVICE, loadPackageDefinition } from './protos';

export type { ServingStatus };

/** Lets a server wrap the health service as it wraps its own (e.g. tolerant request decoding). */
export type ServiceAdapter = (
  definition: grpc.ServiceDefinition,
  implementation: grpc.UntypedServiceImplementation,
) => [grpc.ServiceDefinition, grpc.UntypedServiceImplementation];

export class Health {
  private readonly implementation: HealthImplementation;
  private readonly services: readonly string[];
  private readonly watches = new Set<grpc.ServerWritableStream<unknown, unknown>>();

  constructor(services: readonly string[], initial: ServingStatus) {
    this.services = ['', ...services];
    this.implementation = new HealthImplementation(
      Object.fromEntries(this.services.map((s) => [s, initial])),
    );
  }

  setAll(status: ServingStatus): void {
    for (const service of this.services) this.implementation.setStatus(service, status);
  }

  addTo(server: grpc.Server, adapt: ServiceAdapter = (d, i) => [d, i]): void {
    this.implementation.addToServer({
      addService: (definition, implementation) => {
        const watch = implementation.watch as grpc.handleServerStreamingCall<unknown, unknown>;
        // Open Watch streams are remembered so that a stopping server can end them (endWatches).
        const tracked = {
          ...implementation,
          watch: (call: grpc.ServerWritableStream<unknown, unknown>) => {
            this.watches.add(call);
            call.on('cancelled', () => this.watches.delete(call));
            watch(call);
          },
        };
        server.addService(...adapt(definition as grpc.ServiceDefinition, tracked));
      },
    });
  }

  /** Ends open Watch streams: they would otherwise keep a shutting-down server waiting. */
  endWatches(): void {
    for (const call of this.watches) call.end();
    this.watches.clear();
  }
}

let HealthClient: grpc.ServiceClientConstructor | undefined;

/** One Check probe: true only for SERVING within the timeout. Health needs no token, only TLS. */
export function grpcServing(
  address: string,
  service = '',
  timeoutMs = 2000,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
): Promise<boolean> {
  HealthClient ??= clientConstructor(loadPackageDefinition([HEALTH_PROTO]), HEALTH_SERVICE);
  const client = new HealthClient(address, credentials);
  return new Promise((resolve) => {
    client.Check!(
      { service },
      { deadline: Date.now() + timeoutMs },
      (err: unknown, reply: { status?: string }) => {
        client.close();
        resolve(!err && reply?.status === 'SERVING');
      },
    );
  });
}
