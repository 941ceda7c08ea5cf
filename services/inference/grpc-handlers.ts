/**
 * Adapters from promise-returning functions to grpc-js handlers, with errors mapped to statuses.
 * A request that did not decode (a MalformedRequest from request-decoding.ts) never reaches the
 * function: it is answered with INVALID_ARGUMENT here.
 */
import type * as grpc from '@grpc/grpc-js';
import { type ServiceError, toServiceError } from './errors';
import { MalformedRequest } from './request-decoding';

export function grpcError(err: unknown): Partial<grpc.StatusObject> {
  const e = toServiceError(err);
  return { code: e.code, details: e.message };
}

/** Called with each request that did not decode, e.g. to count it in the metrics. */
export type MalformedHook = (request: MalformedRequest) => void;

export function unary<Req, Res>(
  handle: (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res> | Res,
  onMalformed?: MalformedHook,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const request: unknown = call.request;
    if (request instanceof MalformedRequest) {
      onMalformed?.(request);
      callback(grpcError(request.error()));
      return;
    }
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
 * sending and every answer is written. A message that does not decode is answered by
 * `malformed(error)`, and the stream goes on (its framing is intact).
 */
export function requestStream<Req, Res>(
  answer: (request: Req, call: grpc.ServerDuplexStream<Req, Res>) => Promise<Res>,
  malformed: (error: ServiceError) => Res,
  onMalformed?: MalformedHook,
): grpc.handleBidiStreamingCall<Req, Res> {
  return (call) => {
    let pending = 0;
    let ended = false;
    // Each request in flight listens for the stream's cancellation; there may be many at once.
    call.setMaxListeners(0);
    const finishIfDone = () => {
      if (ended && pending === 0) call.end();
    };
    call.on('data', (request: Req | MalformedRequest) => {
      pending++;
      let answered: Promise<Res>;
      if (request instanceof MalformedRequest) {
        onMalformed?.(request);
        answered = Promise.resolve(malformed(request.error()));
      } else answered = answer(request, call);
      answered
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

/** A server-streaming handler whose request decoded; a malformed one ends with INVALID_ARGUMENT. */
export function serverStream<Req, Res>(
  handle: (call: grpc.ServerWritableStream<Req, Res>) => void,
): grpc.handleServerStreamingCall<Req, Res> {
  return (call) => {
    const request: unknown = call.request;
    if (request instanceof MalformedRequest) call.emit('error', grpcError(request.error()));
    else handle(call);
  };
}
