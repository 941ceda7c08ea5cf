/** The inference server's proto files and service names (loaded by the shared loader, services/grpc). */
import type { PackageDefinition } from '@grpc/proto-loader';
import type * as protobuf from 'protobufjs';
import * as protos from '../../grpc/protos';

export const PROTO_FILES = [
  'inference/grpc_service.proto',
  'efficientbert/v1/inference.proto',
  protos.HEALTH_PROTO,
];

export const SERVICE_NAMES = {
  oip: 'inference.GRPCInferenceService',
  classify: 'efficientbert.v1.Inference',
  health: protos.HEALTH_SERVICE,
} as const;

export function loadPackageDefinition(): PackageDefinition {
  return protos.loadPackageDefinition(PROTO_FILES);
}

/** The same files as a protobufjs root: the server decodes requests with it (services/grpc/decoding.ts). */
export function loadProtoRoot(): protobuf.Root {
  return protos.loadProtoRoot(PROTO_FILES);
}
