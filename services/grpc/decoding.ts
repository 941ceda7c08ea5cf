/**
 * Request deserializers that never throw. grpc-js decodes a request before any handler runs, and a
 * deserializer that throws makes it answer INTERNAL ("Error deserializing request") with no reason:
 * a client error reported as a server fault. Here every method's request is decoded in a try block,
 * and a request that fails reaches the handler as a MalformedRequest, which the handler adapters
 * (e.g. services/inference/grpc/handlers.ts, or rejectMalformed below) answer with INVALID_ARGUMENT "request is not a valid <Message>: <reason>".
 * A valid request costs what decoding cost before. Over-size messages never get this far: grpc-js
 * refuses them with RESOURCE_EXHAUSTED before decoding.
 *
 * The decoder is the project's protobufjs 8 (`Type.decode` + `toObject` with the loader's options:
 * the same plain objects as the proto-loader deserializer) rather than the protobufjs 7 inside
 * @grpc/proto-loader, which is lenient where it should not be: it cuts a string field whose length
 * runs past the end of the message short (a truncated request would be served as a different one)
 * and turns invalid UTF-8 into U+FFFD (the text classified would not be the text sent).
 * protobufjs 8 rejects both (proto3 strings are verified UTF-8), so no second pass over the bytes
 * is needed on the way in; only a request that failed is walked again, to name the field holding
 * invalid UTF-8.
 */
import type * as grpc from '@grpc/grpc-js';
import type * as protobuf from 'protobufjs';
import { invalidArgument, type ServiceError, toStatus } from './errors';
import { TO_OBJECT_OPTIONS } from './protos';
import { findInvalidUtf8 } from './utf8-check';

export class MalformedRequest {
  constructor(
    /** Fully qualified message name, e.g. 'inference.ModelInferRequest'. */
    readonly messageName: string,
    readonly reason: string,
  ) {}

  error(): ServiceError {
    return invalidArgument(`request is not a valid ${this.messageName}: ${this.reason}`);
  }
}

/** Why `bytes` did not decode as `type`: the field with invalid UTF-8 if any, else the decoder's error. */
function reasonOf(type: protobuf.Type, bytes: Uint8Array, err: unknown): string {
  const field = findInvalidUtf8(type, bytes);
  if (field !== null) return `${field}: not valid UTF-8`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * A deserializer of `type` that never throws: the decoded message as a plain object (`options`
 * as for Type.toObject), or a MalformedRequest naming the message type and why.
 */
export function tolerantDeserializer(
  type: protobuf.Type,
  options: protobuf.IConversionOptions,
): (bytes: Buffer) => unknown {
  const messageName = type.fullName.replace(/^\./, '');
  return (bytes) => {
    try {
      return type.toObject(type.decode(bytes), options);
    } catch (err) {
      return new MalformedRequest(messageName, reasonOf(type, bytes, err));
    }
  };
}

/**
 * The service definition with every method's request deserializer made total (tolerantDeserializer).
 * `service` is the same service in a protobufjs root of the same files (loadProtoRoot).
 */
export function tolerantServiceDefinition(
  definition: grpc.ServiceDefinition,
  service: protobuf.Service,
): grpc.ServiceDefinition {
  return Object.fromEntries(
    Object.entries(definition).map(([name, method]) => {
      const protoMethod = service.methods[name];
      if (!protoMethod) throw new Error(`${service.fullName}: no method '${name}' in the proto root`);
      protoMethod.resolve();
      const requestDeserialize = tolerantDeserializer(protoMethod.resolvedRequestType!, TO_OBJECT_OPTIONS);
      return [name, { ...method, requestDeserialize }];
    }),
  );
}

/**
 * Handlers written for decoded requests (a library's, e.g. grpc-health-check's) behind a tolerant
 * definition: a MalformedRequest is answered with its INVALID_ARGUMENT before they see it.
 */
export function rejectMalformed(
  definition: grpc.ServiceDefinition,
  implementation: grpc.UntypedServiceImplementation,
): grpc.UntypedServiceImplementation {
  return Object.fromEntries(
    Object.entries(definition).map(([name, method]) => {
      const handler = (implementation[name] ?? implementation[method.originalName ?? '']) as (
        ...args: unknown[]
      ) => void;
      const guarded = (
        call: grpc.ServerUnaryCall<unknown, unknown>,
        callback?: grpc.sendUnaryData<unknown>,
      ) => {
        const request: unknown = call.request;
        if (!(request instanceof MalformedRequest)) return handler(call, callback);
        const status = toStatus(request.error());
        if (callback) callback(status);
        else call.emit('error', status);
      };
      return [name, guarded as grpc.UntypedHandleCall];
    }),
  );
}
