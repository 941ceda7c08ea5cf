/**
 * Server construction and binding for every gRPC service of the project, in one place: transport
 * security (tls.ts) and bearer-token authentication (auth.ts) are applied here, once, for all of them.
 */
import { isIP } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { authInterceptor } from './auth';
import type { ServerSecurity } from './security-config';
import { serverCredentials } from './tls';

/**
 * A server that enforces `security.auth` (if set) on every service but health and reflection.
 * `writeMethods`: full paths of the methods the read-only token may not call.
 */
export function createServer(
  options: grpc.ServerOptions = {},
  security: ServerSecurity = {},
  writeMethods: readonly string[] = [],
): grpc.Server {
  const interceptors = security.auth ? [authInterceptor(security.auth, new Set(writeMethods))] : [];
  return new grpc.Server({ ...options, interceptors: [...(options.interceptors ?? []), ...interceptors] });
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
}

/**
 * Binds `server` to host:port (0: any free port), with TLS when `security.tls` is set, and resolves
 * to the bound port. Anything but a loopback address without TLS or without a token is reachable
 * by others in the clear or by anyone: that is worth one warning at start.
 */
export function listen(
  server: grpc.Server,
  host: string,
  port: number,
  security: ServerSecurity = {},
  warn: (message: string) => void = console.error,
): Promise<number> {
  if (!isLoopback(host) && (!security.tls || !security.auth)) {
    const missing = [security.tls ? '' : 'TLS', security.auth ? '' : 'a bearer token'].filter(Boolean);
    warn(`warning: listening on ${host} (not loopback) without ${missing.join(' and without ')}`);
  }
  return new Promise((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, serverCredentials(security.tls), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
}
