/** Adapters from promise-returning functions to grpc-js handlers, with errors mapped to statuses. */
import type * as grpc from '@grpc/grpc-js';
import { toServiceError } from './errors';

export function grpcError(err: unknown): Partial<grpc.StatusObject> {
  const e = toServiceError(err);
  return { code: e.code, details: e.message };
}

export function unary<Req, Res>(
  handle: (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res> | Res,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => handle(call.request, call))
      .then(
        (response) => callback(null, response),
        (err: unknown) => callback(grpcError(err)),
      );
  };
}

/**
 * A bidirectional stream of independent requests: each incoming message is answered by one
 * outgoing message (possibly out of order), and the stream ends after the client has finished
 * sending and every answer is written.
 */
export function requestStream<Req, Res>(
  answer: (request: Req, call: grpc.ServerDuplexStream<Req, Res>) => Promise<Res>,
): grpc.handleBidiStreamingCall<Req, Res> {
  return (call) => {
    let pending = 0;
    let ended = false;
    // Each request in flight listens for the stream's cancellation; there may be many at once.
    call.setMaxListeners(0);
    const finishIfDone = () => {
      if (ended && pending === 0) call.end();
    };
    call.on('data', (request: Req) => {
      pending++;
      answer(request, call)
        .then((response) => {
          if (!call.cancelled) call.write(response);
        })
        .finally(() => {
          pending--;
          finishIfDone();
        });
    });
    call.on('end', () => {
      ended = true;
      finishIfDone();
    });
    call.on('error', () => undefined);
  };
}
