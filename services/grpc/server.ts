/**
 * Server construction and binding for every gRPC service of the project, in one place: transport
 * security and authentication (issue 8's TLS and auth interceptors) go here, once, for all of them.
 */
import * as grpc from '@grpc/grpc-js';

export function createServer(options: grpc.ServerOptions = {}): grpc.Server {
  return new grpc.Server(options);
}

/** Binds `server` to host:port (0: any free port) and resolves to the bound port. */
export function listen(server: grpc.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
}
