import { status } from '@grpc/grpc-js';

/** An error that reaches the client as the given gRPC status code with its message. */
export class ServiceError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

export const invalidArgument = (message: string) => new ServiceError(status.INVALID_ARGUMENT, message);
export const notFound = (message: string) => new ServiceError(status.NOT_FOUND, message);
export const unavailable = (message: string) => new ServiceError(status.UNAVAILABLE, message);

/** Any thrown value as a gRPC status; unexpected errors become INTERNAL. */
export function toServiceError(err: unknown): ServiceError {
  if (err instanceof ServiceError) return err;
  return new ServiceError(status.INTERNAL, err instanceof Error ? err.message : String(err));
}

/** The lower-case status name, e.g. 'invalid_argument': the `outcome` label of the metrics. */
export function statusName(code: status): string {
  return (status[code] ?? 'unknown').toLowerCase();
}
