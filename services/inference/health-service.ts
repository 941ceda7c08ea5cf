/**
 * grpc.health.v1.Health: the overall status ('') and one per served service. SERVING while the
 * server takes requests, NOT_SERVING once shutdown has begun.
 */
import type * as grpc from '@grpc/grpc-js';
import { notFound } from './errors';
import { serverStream, unary } from './grpc-handlers';

export type ServingStatus = 'SERVING' | 'NOT_SERVING';

interface HealthRequest {
  service: string;
}

export class HealthService {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Set<{
    service: string;
    call: grpc.ServerWritableStream<HealthRequest, unknown>;
  }>();

  constructor(services: readonly string[]) {
    for (const service of ['', ...services]) this.statuses.set(service, 'SERVING');
  }

  setAll(status: ServingStatus): void {
    for (const service of this.statuses.keys()) this.statuses.set(service, status);
    for (const { service, call } of this.watchers) call.write({ status: this.statuses.get(service) });
  }

  get handlers(): grpc.UntypedServiceImplementation {
    return {
      Check: unary((request: HealthRequest) => {
        const status = this.statuses.get(request.service);
        if (!status) throw notFound(`unknown service '${request.service}'`);
        return { status };
      }),
      Watch: serverStream((call: grpc.ServerWritableStream<HealthRequest, unknown>) => {
        const service = call.request.service;
        call.write({ status: this.statuses.get(service) ?? 'SERVICE_UNKNOWN' });
        const watcher = { service, call };
        this.watchers.add(watcher);
        call.on('cancelled', () => this.watchers.delete(watcher));
      }),
    };
  }

  /** Ends open Watch streams (they would otherwise keep a shutting-down server waiting). */
  endWatches(): void {
    for (const { call } of this.watchers) call.end();
    this.watchers.clear();
  }
}
