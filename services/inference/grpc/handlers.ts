/**
 * Adapters from promise-returning functions to grpc-js handlers, with errors mapped to statuses.
 * A request that did not decode (a MalformedRequest from services/grpc/decoding.ts) never reaches the
 * function: it is answered with INVALID_ARGUMENT here.
 */
import type * as grpc from '@grpc/grpc-js';
import { MalformedRequest } from '../../grpc/decoding';
import { type ServiceError, toStatus } from '../../grpc/errors';

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
      callback(toStatus(request.error()));
      return;
    }
    Promise.resolve()
      .then(() => handle(call.request, call))
      .then(
        (response) => callback(null, response),
        (err: unknown) => callback(toStatus(err)),
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
