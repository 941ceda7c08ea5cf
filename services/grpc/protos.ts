/**
 * Proto loading for every service and client of the project, with one set of options: snake_case
 * field names as in the .proto (Triton clients' spelling), 64-bit integers as decimal strings
 * (the OIP's uint64 counters and nanosecond durations exceed 2^53, and strings lose nothing
 * without handing out Long objects), enums as names, defaults and oneof names filled in.
 * grpc.health.v1 comes from grpc-health-check, which serves it (health.ts), so reflection and
 * clients describe exactly the service that answers.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as protobuf from 'protobufjs';

export const PROTO_ROOT = join(__dirname, '..', '..', 'proto');
const HEALTH_PROTO_DIR = join(dirname(require.resolve('grpc-health-check/package.json')), 'proto');
const INCLUDE_DIRS = [PROTO_ROOT, HEALTH_PROTO_DIR];

export const HEALTH_PROTO = 'health/v1/health.proto';
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

/** How decoded messages become plain objects: the loader's options, also for protobufjs decoding. */
export const TO_OBJECT_OPTIONS: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  ...TO_OBJECT_OPTIONS,
  includeDirs: INCLUDE_DIRS,
};

export function loadPackageDefinition(files: readonly string[]): protoLoader.PackageDefinition {
  return protoLoader.loadSync([...files], LOADER_OPTIONS);
}

/**
 * The same files as a protobufjs root, imports resolved against the loader's include dirs: servers
 * decode requests with it (decoding.ts).
 */
export function loadProtoRoot(files: readonly string[]): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    if (isAbsolute(target)) return target;
    const dir = INCLUDE_DIRS.find((d) => existsSync(join(d, target))) ?? PROTO_ROOT;
    return join(dir, target);
  };
  root.loadSync([...files], { keepCase: true });
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

/** A client constructor for a fully qualified service name. */
export function clientConstructor(
  definition: protoLoader.PackageDefinition,
  serviceName: string,
): grpc.ServiceClientConstructor {
  return grpc.makeClientConstructor(serviceDefinition(definition, serviceName), serviceName);
}
