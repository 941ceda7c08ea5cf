/**
 * A validation problem that names its field, so an API can answer INVALID_ARGUMENT with the
 * offending field (gRPC `field` metadata) and a library caller can point at its own input.
 */
export interface FieldError {
  /** Path of the offending field, e.g. `stage1.candidates` or `stages.stage2_candidates`. */
  readonly field: string;
  readonly message: string;
}

/** camelCase segments of a field path → the API's snake_case (`weightSharing.trainFraction` → `weight_sharing.train_fraction`). */
export function snakeFieldPath(path: string): string {
  return path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `errors` with every field under `prefix` (`spec` + `stages.stage1` → `spec.stages.stage1`). */
export function underField(prefix: string, errors: readonly FieldError[]): FieldError[] {
  return errors.map((e) => ({ ...e, field: `${prefix}.${e.field}` }));
}
