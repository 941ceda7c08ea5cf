/**
 * The Temporal side of the Search gateway: one search = one `searchWorkflow` execution whose
 * workflow id is the search id (derived from the client's request id, which makes StartSearch
 * idempotent). Errors: a bad spec → INVALID_ARGUMENT naming the field; unknown search → NOT_FOUND;
 * Temporal unreachable → UNAVAILABLE within the call timeout, never a hang (every Temporal call runs
 * under a deadline). Usable without gRPC; handlers.ts puts it on the wire.
 */
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import {
  Client,
  Connection,
  defaultGrpcRetryOptions,
  isGrpcServiceError,
  makeGrpcRetryInterceptor,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowExecutionDescription,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { type ArtifactStore, artifactStoreFromEnv } from '../../efficientbert/artifacts';
import {
  type CandidateResult,
  LIMITS,
  type SearchSpec,
  STAGES,
  validateSearchSpec,
} from '../../efficientbert/search';
import {
  cancelSignal,
  DEFAULT_TRAINING_OPTIONS,
  pauseSignal,
  progressQuery,
  resumeSignal,
  type SearchProgress,
  type SearchStatus,
  type SearchWorkflowInput,
  type SearchWorkflowResult,
  STAGE_ATTR,
  STATUS_ATTR,
  setParallelismUpdate,
  stageCandidatesQuery,
  TASK_QUEUE,
  type TrainingOptions,
} from '../../workflows/definitions';
import { invalid, ServiceError, toStatus } from '../grpc/errors';
import { type PbSearchSpec, specFromPb } from './convert';
import { checkUserData, type DataProblem } from './data';
import { checkTeacher } from './teacher-check';

export const SEARCH_WORKFLOW_TYPE = 'searchWorkflow';

export interface SearchServiceOptions {
  readonly temporalAddress: string;
  readonly namespace?: string;
  /** Connecting to Temporal gives up after this (default 2000 ms). */
  readonly connectTimeoutMs?: number;
  /** Deadline of each Temporal call (default 5000 ms). */
  readonly callTimeoutMs?: number;
  readonly training?: TrainingOptions;
  readonly continueAsNewAfterEvents?: number;
  /** The store workers read (uploads, user datasets); default EFFICIENTBERT_ARTIFACTS. */
  readonly store?: ArtifactStore;
}

/** The search id of a request id: stable, so a retried StartSearch finds the first one. */
export function searchIdFor(requestId: string): string {
  return `search-${createHash('sha256').update(requestId).digest('hex').slice(0, 24)}`;
}

function specHash(spec: SearchSpec): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex');
}

function grpcCodeOf(err: unknown): number | undefined {
  for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    if (isGrpcServiceError(e)) return e.code;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

/**
 * The status a failed gateway call answers with: its own ServiceErrors as they are, Temporal's
 * errors mapped (an unknown workflow → NOT_FOUND, Temporal down or slow → UNAVAILABLE).
 */
export function toSearchStatus(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof ServiceError) return toStatus(err);
  if (err instanceof WorkflowNotFoundError) return { code: grpc.status.NOT_FOUND, details: err.message };
  const code = grpcCodeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  if (code === grpc.status.UNAVAILABLE || code === grpc.status.DEADLINE_EXCEEDED) {
    return { code: grpc.status.UNAVAILABLE, details: `Temporal unavailable: ${message}` };
  }
  if (code === grpc.status.NOT_FOUND) return { code: grpc.status.NOT_FOUND, details: message };
  return { code: grpc.status.INTERNAL, details: message };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ServiceError(grpc.status.UNAVAILABLE, `Temporal unavailable: ${what} timed out after ${ms} ms`),
        ),
      ms,
    );
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export interface SearchView {
  readonly searchId: string;
  readonly status: SearchStatus;
  readonly workflowStatus: string;
  readonly progress?: SearchProgress;
  readonly spec?: SearchSpec;
  readonly requestId?: string;
  readonly result?: SearchWorkflowResult;
}

/** The Temporal side of the gateway (usable without gRPC, e.g. by the CLI). */
export class SearchGateway {
  private connecting: Promise<Client> | undefined;
  private connection: Connection | undefined;
  private readonly connectTimeoutMs: number;
  private readonly callTimeoutMs: number;
  private readonly inFlight = new Set<AbortController>();
  readonly store: ArtifactStore;

  constructor(readonly options: SearchServiceOptions) {
    this.store = options.store ?? artifactStoreFromEnv();
    this.connectTimeoutMs = options.connectTimeoutMs ?? 2000;
    this.callTimeoutMs = options.callTimeoutMs ?? 5000;
  }

  private async client(): Promise<Client> {
    if (!this.connecting) {
      this.connecting = Connection.connect({
        address: this.options.temporalAddress,
        connectTimeout: this.connectTimeoutMs,
        // Few, quick retries: a gateway reports an outage fast and lets its clients retry.
        interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 4 }))],
      }).then((connection) => {
        this.connection = connection;
        return new Client({ connection, namespace: this.options.namespace ?? 'default' });
      });
    }
    try {
      return await withTimeout(this.connecting, this.connectTimeoutMs + 1000, 'connect');
    } catch (err) {
      this.connecting = undefined;
      const message = err instanceof Error ? err.message : String(err);
      throw new ServiceError(
        grpc.status.UNAVAILABLE,
        `Temporal unavailable at ${this.options.temporalAddress}: ${message.replace(/^Temporal unavailable: /, '')}`,
      );
    }
  }

  /**
   * Runs `fn` with a deadline on every Temporal call it makes and a hard timeout around it; the
   * calls are aborted when the timeout fires or the gateway closes, so no retry outlives them.
   */
  async call<T>(fn: (client: Client) => Promise<T>, timeoutMs = this.callTimeoutMs): Promise<T> {
    const client = await this.client();
    const abort = new AbortController();
    this.inFlight.add(abort);
    try {
      return await withTimeout(
        client.connection.withAbortSignal(abort.signal, () =>
          client.connection.withDeadline(Date.now() + timeoutMs, () => fn(client)),
        ),
        timeoutMs + 500,
        'call',
      );
    } finally {
      this.inFlight.delete(abort);
      abort.abort();
    }
  }

  async reachable(): Promise<boolean> {
    try {
      await this.call((c) => c.workflowService.getSystemInfo({}), 1500);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    for (const a of this.inFlight) a.abort();
    this.inFlight.clear();
    const c = this.connection;
    this.connection = undefined;
    this.connecting = undefined;
    await c?.close().catch(() => undefined);
  }

  async start(
    requestId: string,
    pbSpec: PbSearchSpec | null | undefined,
  ): Promise<{ view: SearchView; created: boolean }> {
    if (!requestId || requestId.length > 200)
      throw invalid('request_id', 'is required (at most 200 characters)');
    const { spec: parsed, errors } = specFromPb(pbSpec);
    const problems = parsed ? [...errors, ...validateSearchSpec(parsed)] : errors;
    if (problems.length) {
      const first = problems[0]!;
      const field = first.field.startsWith('spec') ? first.field : `spec.${first.field}`;
      throw invalid(
        field,
        problems
          .map((p) => `${p.field.startsWith('spec') ? p.field : `spec.${p.field}`} ${p.message}`)
          .join('; '),
      );
    }
    const spec = await this.checkArtifacts(parsed!);
    const searchId = searchIdFor(requestId);
    const hash = specHash(spec);
    const input: SearchWorkflowInput = {
      searchId,
      spec,
      training: this.options.training ?? DEFAULT_TRAINING_OPTIONS,
      ...(this.options.continueAsNewAfterEvents
        ? { continueAsNewAfterEvents: this.options.continueAsNewAfterEvents }
        : {}),
    };
    let created = true;
    try {
      await this.call((c) =>
        c.workflow.start(SEARCH_WORKFLOW_TYPE, {
          workflowId: searchId,
          taskQueue: TASK_QUEUE,
          args: [input],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          memo: { requestId, specHash: hash, spec },
          typedSearchAttributes: [
            { key: STATUS_ATTR, value: 'RUNNING' },
            { key: STAGE_ATTR, value: 'pending' },
          ],
        }),
      );
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      created = false;
      const desc = await this.call((c) => c.workflow.getHandle(searchId).describe());
      if ((desc.memo as { specHash?: string } | undefined)?.specHash !== hash) {
        throw new ServiceError(
          grpc.status.ALREADY_EXISTS,
          `request_id '${requestId}' already started search ${searchId} with a different spec`,
          'request_id',
        );
      }
    }
    return { view: await this.get(searchId), created };
  }

  /**
   * The spec checked against the store: the dataset's files parse, the teacher exists, and the
   * dataset's label order is the teacher's where it must be (teacher-check.ts).
   */
  private async checkArtifacts(spec: SearchSpec): Promise<SearchSpec> {
    const fail = (problem: DataProblem): never => {
      if (problem.kind === 'not-found')
        throw new ServiceError(grpc.status.NOT_FOUND, `${problem.field}: ${problem.message}`, problem.field);
      throw invalid(problem.field, problem.message);
    };
    let dataLabels: readonly string[] | undefined;
    if (spec.data) {
      const { labels, problem } = await checkUserData(this.store, spec.data);
      if (problem) fail(problem);
      dataLabels = labels;
    }
    const checked = await checkTeacher(this.store, spec, dataLabels);
    if (checked.problem) fail(checked.problem);
    return checked.spec;
  }

  private async describe(searchId: string): Promise<WorkflowExecutionDescription> {
    if (!searchId) throw invalid('search_id', 'is required');
    const desc = await this.call((c) => c.workflow.getHandle(searchId).describe());
    if (desc.type !== SEARCH_WORKFLOW_TYPE)
      throw new ServiceError(grpc.status.NOT_FOUND, `no search '${searchId}'`);
    return desc;
  }

  async get(searchId: string): Promise<SearchView> {
    const desc = await this.describe(searchId);
    const memo = (desc.memo ?? {}) as { requestId?: string; spec?: SearchSpec };
    const workflowStatus = desc.status.name;
    let status = (desc.typedSearchAttributes.get(STATUS_ATTR) as SearchStatus | undefined) ?? 'RUNNING';
    let progress: SearchProgress | undefined;
    let result: SearchWorkflowResult | undefined;
    if (workflowStatus === 'COMPLETED') {
      result = await this.call(
        (c) => c.workflow.getHandle<never>(searchId).result() as Promise<SearchWorkflowResult>,
      );
      progress = result.progress;
      status = progress.status;
    } else if (workflowStatus === 'RUNNING') {
      try {
        progress = await this.call((c) => c.workflow.getHandle(searchId).query(progressQuery), 3000);
        status = progress.status;
      } catch (err) {
        // No worker answering queries right now: report what visibility knows.
        if (err instanceof ServiceError && err.message.includes('connect')) throw err;
      }
    } else {
      status = workflowStatus === 'CANCELLED' ? 'CANCELLED' : 'FAILED';
    }
    return {
      searchId,
      status,
      workflowStatus,
      ...(progress ? { progress } : {}),
      ...(memo.spec ? { spec: memo.spec } : {}),
      ...(memo.requestId ? { requestId: memo.requestId } : {}),
      ...(result ? { result } : {}),
    };
  }

  /**
   * Every candidate of stages 1-3 so far, in evaluation order. They live in the stage workflows'
   * state (`<searchId>/stage1..3`, the search's own progress keeps only leaderboards), so each
   * stage that has started is queried; closed ones are answered by a worker replaying them.
   */
  async candidates(searchId: string): Promise<CandidateResult[]> {
    await this.describe(searchId);
    const perStage = await Promise.all(
      STAGES.map(async (stage) => {
        try {
          return await this.call((c) =>
            c.workflow.getHandle(`${searchId}/${stage}`).query(stageCandidatesQuery),
          );
        } catch (err) {
          if (err instanceof WorkflowNotFoundError || grpcCodeOf(err) === grpc.status.NOT_FOUND) return [];
          throw err;
        }
      }),
    );
    return perStage.flat();
  }

  async signal(searchId: string, which: 'pause' | 'resume' | 'cancel', reason?: string): Promise<SearchView> {
    const desc = await this.describe(searchId);
    if (desc.status.name !== 'RUNNING') {
      throw new ServiceError(
        grpc.status.FAILED_PRECONDITION,
        `search ${searchId} has ended (${desc.status.name})`,
      );
    }
    await this.call(async (c) => {
      const h = c.workflow.getHandle(searchId);
      if (which === 'pause') await h.signal(pauseSignal);
      else if (which === 'resume') await h.signal(resumeSignal);
      else await h.signal(cancelSignal, reason ?? '');
    });
    return this.get(searchId);
  }

  async setParallelism(searchId: string, parallelism: number): Promise<number> {
    const max = LIMITS.maxParallelism;
    if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > max) {
      throw invalid('parallelism', `must be in [1, ${max}], got ${parallelism}`);
    }
    const desc = await this.describe(searchId);
    if (desc.status.name !== 'RUNNING') {
      throw new ServiceError(
        grpc.status.FAILED_PRECONDITION,
        `search ${searchId} has ended (${desc.status.name})`,
      );
    }
    try {
      return await this.call((c) =>
        c.workflow.getHandle(searchId).executeUpdate(setParallelismUpdate, { args: [parallelism] }),
      );
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError)
        throw invalid('parallelism', err.cause?.message ?? err.message);
      throw err;
    }
  }

  async list(status: SearchStatus | undefined, stage: string, pageSize: number) {
    const clauses = [`WorkflowType = '${SEARCH_WORKFLOW_TYPE}'`];
    if (status) clauses.push(`EfficientBertStatus = '${status}'`);
    if (stage) {
      if (!/^[a-z0-9]+$/.test(stage)) throw invalid('stage', `unknown stage '${stage}'`);
      clauses.push(`EfficientBertStage = '${stage}'`);
    }
    const limit = Math.min(pageSize || 100, 1000);
    return this.call(async (c) => {
      const out = [];
      for await (const wf of c.workflow.list({ query: clauses.join(' AND '), pageSize: limit })) {
        out.push(wf);
        if (out.length >= limit) break;
      }
      return out;
    });
  }
}
