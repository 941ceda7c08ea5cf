/**
 * Errors that reach a gRPC client as a status: the services throw ServiceError (or one of the
 * helpers below) anywhere below their handlers, and the handler adapters turn it into the call's
 * status. A field-level INVALID_ARGUMENT also names the field in the `field` trailer, so clients
 * can point at the offending input without parsing the message.
 */
import { Metadata, type StatusObject, status } from '@grpc/grpc-js';

/** An error that reaches the client as the given gRPC status code with its message. */
export class ServiceError extends Error {
  constructor(
    readonly code: status,
    message: string,
    /** The request field at fault, sent as the `field` trailer. */
    readonly field?: string,
  ) {
    super(message);
  }
}

export const invalidArgument = (message: string) => new ServiceError(status.INVALID_ARGUMENT, message);
export const notFound = (message: string) => new ServiceError(status.NOT_FOUND, message);
export const unavailable = (message: string) => new ServiceError(status.UNAVAILABLE, message);

/** INVALID_ARGUMENT "invalid <field>: <message>", naming the field in the trailer. */
export function invalid(field: string, message: string): ServiceError {
  return new ServiceError(status.INVALID_ARGUMENT, `invalid ${field}: ${message}`, field);
}

/** Any thrown value as a gRPC status; unexpected errors become INTERNAL. */
export function toServiceError(err: unknown): ServiceError {
  if (err instanceof ServiceError) return err;
  return new ServiceError(status.INTERNAL, err instanceof Error ? err.message : String(err));
}

/** What a handler hands grpc-js for `err`: code, details and, for a field error, its trailer. */
export function toStatus(err: unknown): Partial<StatusObject> {
  const e = toServiceError(err);
  if (e.field === undefined) return { code: e.code, details: e.message };
  const metadata = new Metadata();
  metadata.set('field', e.field);
  return { code: e.code, details: e.message, metadata };
}

/** The lower-case status name, e.g. 'invalid_argument': the `outcome` label of the metrics. */
export function statusName(code: status): string {
  return (status[code] ?? 'unknown').toLowerCase();
}
