/**
 * Server reflection (@grpc/reflection: grpc.reflection.v1 and v1alpha) that answers a message it
 * cannot decode as the client's error. Out of the box, a message that fails the library's decoder
 * makes grpc-js end the whole reflection stream with INTERNAL "Error deserializing request" (a
 * server fault), and one that the library's lenient protobufjs 7 lets through (an invalid wire type
 * is skipped, a cut-off string is shortened) is served as some other request.
 *
 * Here requests are decoded as the other services' are (request-decoding.ts: protobufjs 8, which
 * rejects both), into the plain objects the library's own loader would give. A message that does
 * not decode reaches the library as a MalformedRequest; the library answers any request it does
 * not recognise with an error_response that echoes the request, and that answer is rewritten on its
 * way out into error_response INVALID_ARGUMENT "request is not a valid
 * grpc.reflection.v1.ServerReflectionRequest: <reason>". The stream goes on with the next message,
 * as ModelStreamInfer's does (grpc-handlers.ts): its framing is intact, only one message was bad.
 */
import type * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import * as protobuf from 'protobufjs';
import { MalformedRequest, tolerantDeserializer } from './decoding';

/** The library's loader options (camelCase names, the name of the oneof's field set, bytes as arrays). */
const LIBRARY_OBJECT_OPTIONS: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  bytes: Array,
  defaults: true,
  oneofs: true,
};

/** The part of the library's responses looked at here. */
interface ReflectionResponse {
  originalRequest?: unknown;
}

/** ServerReflectionRequest of a reflection package, e.g. 'grpc.reflection.v1', from the library's proto. */
function requestType(protoPackage: string): protobuf.Type {
  const version = protoPackage.slice(protoPackage.lastIndexOf('.') + 1);
  const file = require.resolve(`@grpc/reflection/build/proto/grpc/reflection/${version}/reflection.proto`);
  return new protobuf.Root().loadSync(file).lookupType(`${protoPackage}.ServerReflectionRequest`);
}

function tolerantReflection(definition: grpc.ServiceDefinition): grpc.ServiceDefinition {
  return Object.fromEntries(
    Object.entries(definition).map(([name, method]) => {
      // '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo' → 'grpc.reflection.v1'
      const service = method.path.split('/')[1]!;
      const type = requestType(service.slice(0, service.lastIndexOf('.')));
      const responseSerialize = (response: ReflectionResponse): Buffer => {
        const request = response.originalRequest;
        if (!(request instanceof MalformedRequest)) return method.responseSerialize(response);
        const error = request.error();
        return method.responseSerialize({
          errorResponse: { errorCode: error.code, errorMessage: error.message },
        });
      };
      return [
        name,
        {
          ...method,
          requestDeserialize: tolerantDeserializer(type, LIBRARY_OBJECT_OPTIONS),
          responseSerialize,
        },
      ];
    }),
  );
}

/** Adds reflection over the services of `definition` to `server`. */
export function addReflection(server: grpc.Server, definition: PackageDefinition): void {
  new ReflectionService(definition).addToServer({
    addService: (service, implementation) => server.addService(tolerantReflection(service), implementation),
  });
}
