/** The Search service's proto files (loaded by the shared loader, services/grpc), for the server, the CLI and tests. */
import * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { clientConstructor, HEALTH_PROTO, loadPackageDefinition } from '../grpc/protos';

export const SEARCH_PROTO_FILES = ['efficientbert/v1/search.proto', HEALTH_PROTO];
export const SEARCH_SERVICE = 'efficientbert.v1.Search';

export function loadSearchProtos(): PackageDefinition {
  return loadPackageDefinition(SEARCH_PROTO_FILES);
}

export function searchClient(address: string, definition = loadSearchProtos()): grpc.Client {
  const Ctor = clientConstructor(definition, SEARCH_SERVICE);
  return new Ctor(address, grpc.credentials.createInsecure());
}
