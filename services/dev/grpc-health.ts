/** One grpc.health.v1.Health/Check probe: true only for SERVING within the timeout. */
import * as grpc from '@grpc/grpc-js';
import { clientConstructor, HEALTH_SERVICE, loadSearchProtos } from '../search/protos';

let HealthClient: grpc.ServiceClientConstructor | undefined;

export function grpcServing(address: string, service = '', timeoutMs = 2000): Promise<boolean> {
  HealthClient ??= clientConstructor(loadSearchProtos(), HEALTH_SERVICE);
  const client = new HealthClient(address, grpc.credentials.createInsecure());
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
