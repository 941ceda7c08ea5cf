/**
 * The server's proto files, loaded once with the options both the server and its clients use:
 * snake_case field names as in the .proto (Triton clients' spelling), 64-bit integers as strings
 * (no precision loss, no Long objects), enums as names, defaults filled in.
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as protobuf from 'protobufjs';

export const PROTO_ROOT = join(__dirname, '..', '..', 'proto');
export const PROTO_FILES = [
  'inference/grpc_service.proto',
  'efficientbert/v1/inference.proto',
  'grpc/health/v1/health.proto',
];

/** How decoded messages become plain objects (the loader's options, see loadProtoRoot). */
export const TO_OBJECT_OPTIONS: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  ...TO_OBJECT_OPTIONS,
  includeDirs: [PROTO_ROOT],
};

export const SERVICE_NAMES = {
  oip: 'inference.GRPCInferenceService',
  classify: 'efficientbert.v1.Inference',
  health: 'grpc.health.v1.Health',
} as const;

export function loadPackageDefinition(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(PROTO_FILES, LOADER_OPTIONS);
}

/**
 * The same files as a protobufjs root, with imports resolved against PROTO_ROOT like the loader's
 * includeDirs: the server decodes requests with it (request-decoding.ts).
 */
export function loadProtoRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : join(PROTO_ROOT, target));
  root.loadSync(PROTO_FILES, { keepCase: true });
  root.resolveAll();
  return root;
}

/** The service definition (method table) of a fully qualified service name. */
export function serviceDefinition(
  definition: protoLoader.PackageDefinition,
  serviceName: string,
): grpc.ServiceDefinition {
  return definition[serviceName] as grpc.ServiceDefinition;
}

/** A client constructor for a fully qualified service name, for tests and tools. */
export function clientConstructor(
  definition: protoLoader.PackageDefinition,
  serviceName: string,
): grpc.ServiceClientConstructor {
  return grpc.makeClientConstructor(serviceDefinition(definition, serviceName), serviceName);
}
