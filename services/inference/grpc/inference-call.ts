/**
 * What every inference RPC does around the model itself: admission (refused while shutting down),
 * holding the model version for the whole request, deadline and cancellation of the call, and the
 * request's statistics and metrics.
 */
import type { Deadline } from '@grpc/grpc-js';
import { statusName, toServiceError } from '../../grpc/errors';
import type { InferenceMetrics } from '../metrics';
import type { ModelManager } from '../repository/model-manager';
import type { ModelVersion } from '../repository/model-version';
import type { SequenceJob } from '../runtime/batch-tensors';
import type { Admission } from './admission';

export interface InferenceContext {
  manager: ModelManager;
  metrics: InferenceMetrics;
  admission: Admission;
}

/** What runInference needs of a call (unary or stream). */
export interface CallControl {
  readonly cancelled: boolean;
  getDeadline(): Deadline;
  once(event: 'cancelled', listener: () => void): unknown;
  off(event: 'cancelled', listener: () => void): unknown;
}

/** The fields every job of one request shares. */
export type JobBase = Pick<SequenceJob, 'deadline' | 'isCancelled' | 'enqueuedNs'>;

export interface Answer<T> {
  response: T;
  /** Rows (texts) inferred, for inference_count. */
  inferences: number;
}

function deadlineMs(call: CallControl): number {
  const deadline = call.getDeadline();
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

export async function runInference<T>(
  ctx: InferenceContext,
  call: CallControl,
  modelName: string,
  modelVersion: string,
  work: (model: ModelVersion, base: JobBase) => Promise<Answer<T>>,
): Promise<T> {
  const started = process.hrtime.bigint();
  let model: ModelVersion | null = null;
  let releaseModel = () => {};
  let leave = () => {};
  try {
    leave = ctx.admission.enter();
    ({ model, release: releaseModel } = ctx.manager.acquire(modelName, modelVersion));
    const held = model;
    const onCancel = () => held.wake();
    call.once('cancelled', onCancel);
    const base: JobBase = {
      deadline: deadlineMs(call),
      isCancelled: () => call.cancelled,
      enqueuedNs: process.hrtime.bigint(),
    };
    try {
      const { response, inferences } = await work(model, base);
      record(ctx, model, 'ok', started, inferences);
      return response;
    } finally {
      call.off('cancelled', onCancel);
    }
  } catch (err) {
    const error = toServiceError(err);
    record(ctx, model, statusName(error.code), started, 0);
    throw error;
  } finally {
    releaseModel();
    leave();
  }
}

const UNKNOWN_MODEL = '_unknown';

/** Counts an inference request that did not decode (no model: it could not be read). */
export function recordMalformed(ctx: InferenceContext): void {
  ctx.metrics.requests.inc({ model: UNKNOWN_MODEL, outcome: 'invalid_argument' });
}

function record(
  ctx: InferenceContext,
  model: ModelVersion | null,
  outcome: string,
  started: bigint,
  inferences: number,
) {
  const ns = Number(process.hrtime.bigint() - started);
  // Unknown model names are not labels: a client could otherwise create unbounded series.
  const label = model ? model.name : UNKNOWN_MODEL;
  ctx.metrics.requests.inc({ model: label, outcome });
  ctx.metrics.requestDuration.observe({ model: label }, ns / 1e9);
  model?.stats.recordRequest(outcome === 'ok', ns, inferences);
}
