/**
 * Bearer-token authentication for every gRPC service ("authorization: Bearer <token>" metadata),
 * with two roles: the read-write token may call everything, the read-only token everything but the
 * service's write methods. Health and reflection stay open, so that probes (Kubernetes grpc
 * probes, the Docker health check, `dev up`) need no token. Missing or unknown token:
 * UNAUTHENTICATED; read-only token on a write method: PERMISSION_DENIED. A server interceptor,
 * so the check runs before any handler (and before a request message is even read).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Secret } from './secret';

export interface AuthTokens {
  readonly readWrite: Secret;
  readonly readOnly?: Secret;
}

/** Services every caller may use: health checks and reflection. */
const OPEN_SERVICES = [
  'grpc.health.v1.Health',
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
];

function serviceOf(path: string): string {
  // '/efficientbert.v1.Search/StartSearch' → 'efficientbert.v1.Search'
  return path.slice(1, path.lastIndexOf('/'));
}

/** Digests compared in constant time: the comparison says nothing about how much of a guess matched. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

type Role = 'read-write' | 'read-only';

function roleOf(metadata: grpc.Metadata, tokens: AuthTokens): Role | 'missing' | 'invalid' {
  const header = metadata.get('authorization')[0];
  if (typeof header !== 'string') return 'missing';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) return 'invalid';
  const given = digest(match[1]!);
  // Both comparisons always run, so timing does not tell which role a token was close to.
  const readWrite = timingSafeEqual(given, digest(tokens.readWrite.reveal()));
  const readOnly = tokens.readOnly ? timingSafeEqual(given, digest(tokens.readOnly.reveal())) : false;
  return readWrite ? 'read-write' : readOnly ? 'read-only' : 'invalid';
}

/**
 * The interceptor that enforces `tokens`. `writeMethods` are full method paths
 * ('/efficientbert.v1.Search/StartSearch') the read-only token may not call.
 */
export function authInterceptor(
  tokens: AuthTokens,
  writeMethods: ReadonlySet<string>,
): grpc.ServerInterceptor {
  return (method, call) => {
    if (OPEN_SERVICES.includes(serviceOf(method.path))) return new grpc.ServerInterceptingCall(call);
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            const role = roleOf(metadata, tokens);
            if (role === 'missing')
              call.sendStatus({
                code: grpc.status.UNAUTHENTICATED,
                details: 'missing bearer token (metadata "authorization: Bearer <token>")',
              });
            else if (role === 'invalid')
              call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: 'invalid bearer token' });
            else if (role === 'read-only' && writeMethods.has(method.path))
              call.sendStatus({
                code: grpc.status.PERMISSION_DENIED,
                details: `the read-only token may not call ${method.path.slice(1)}`,
              });
            else pass(metadata);
          },
        }),
    });
  };
}

/** Client side: sends `token` with every call of a channel (plaintext or TLS alike). */
export function bearerInterceptor(token: Secret): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) => {
        metadata.set('authorization', `Bearer ${token.reveal()}`);
        next(metadata, listener);
      },
    });
}
