/** Proto loading for the Search service (shared by the server, the CLI and tests). */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const PROTO_ROOT = join(__dirname, '..', '..', 'proto');
export const SEARCH_PROTO_FILES = ['efficientbert/v1/search.proto', 'grpc/health/v1/health.proto'];
export const SEARCH_SERVICE = 'efficientbert.v1.Search';
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

export function loadSearchProtos(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(SEARCH_PROTO_FILES, LOADER_OPTIONS);
}

/** A client constructor for a fully qualified service name. */
export function clientConstructor(
  definition: protoLoader.PackageDefinition,
  serviceName: string,
): grpc.ServiceClientConstructor {
  const loaded = grpc.loadPackageDefinition(definition);
  let node: unknown = loaded;
  for (const part of serviceName.split('.')) node = (node as Record<string, unknown>)[part];
  return node as grpc.ServiceClientConstructor;
}

export function searchClient(address: string, definition = loadSearchProtos()): grpc.Client {
  const Ctor = clientConstructor(definition, SEARCH_SERVICE);
  return new Ctor(address, grpc.credentials.createInsecure());
}
