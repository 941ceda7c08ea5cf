/**
 * gRPC efficientbert.v1.Search: a thin gateway over the Temporal client. One search = one
 * `searchWorkflow` execution whose workflow id is the search id (derived from the client's request
 * id, which makes StartSearch idempotent). Errors: a bad spec → INVALID_ARGUMENT naming the field;
 * unknown search → NOT_FOUND; Temporal unreachable → UNAVAILABLE within the call timeout, never a
 * hang (every Temporal call runs under a deadline).
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
import { ArtifactStore } from '../../efficientbert/artifacts';
import { type SearchSpec, validateSearchSpec } from '../../efficientbert/search/driver';
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
  TASK_QUEUE,
  type TrainingOptions,
} from '../../workflows/definitions';
import { addReflection } from '../inference/reflection';
import {
  candidateToPb,
  type PbSearchSpec,
  progressToPb,
  specFromPb,
  specToPb,
  statusFromPb,
  statusToPb,
} from './convert';
import { checkUserData } from './data';
import { clientConstructor, HEALTH_SERVICE, loadSearchProtos, SEARCH_SERVICE } from './protos';
import { uploadHandlers } from './upload';

export const SEARCH_WORKFLOW_TYPE = 'searchWorkflow';
const TERMINAL: readonly SearchStatus[] = ['COMPLETED', 'CANCELLED', 'FAILED'];

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

export class GatewayError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

function invalid(field: string, message: string): GatewayError {
  return new GatewayError(grpc.status.INVALID_ARGUMENT, `invalid ${field}: ${message}`, field);
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

export function toServiceError(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof GatewayError) {
    const metadata = new grpc.Metadata();
    if (err.field) metadata.set('field', err.field);
    return { code: err.code, details: err.message, metadata };
  }
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
          new GatewayError(grpc.status.UNAVAILABLE, `Temporal unavailable: ${what} timed out after ${ms} ms`),
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
    this.store = options.store ?? ArtifactStore.fromEnv();
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
      throw new GatewayError(
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
    const { spec, errors } = specFromPb(pbSpec);
    const problems = spec ? [...errors, ...validateSearchSpec(spec)] : errors;
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
    if (spec!.data) {
      const { problem } = await checkUserData(this.store, spec!.data);
      if (problem?.kind === 'not-found')
        throw new GatewayError(grpc.status.NOT_FOUND, `${problem.field}: ${problem.message}`, problem.field);
      if (problem) throw invalid(problem.field, problem.message);
    }
    const searchId = searchIdFor(requestId);
    const hash = specHash(spec!);
    const input: SearchWorkflowInput = {
      searchId,
      spec: spec!,
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
          memo: { requestId, specHash: hash, spec: spec! },
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
        throw new GatewayError(
          grpc.status.ALREADY_EXISTS,
          `request_id '${requestId}' already started search ${searchId} with a different spec`,
          'request_id',
        );
      }
    }
    return { view: await this.get(searchId), created };
  }

  private async describe(searchId: string): Promise<WorkflowExecutionDescription> {
    if (!searchId) throw invalid('search_id', 'is required');
    const desc = await this.call((c) => c.workflow.getHandle(searchId).describe());
    if (desc.type !== SEARCH_WORKFLOW_TYPE)
      throw new GatewayError(grpc.status.NOT_FOUND, `no search '${searchId}'`);
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
        if (err instanceof GatewayError && err.message.includes('connect')) throw err;
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

  async signal(searchId: string, which: 'pause' | 'resume' | 'cancel', reason?: string): Promise<SearchView> {
    const desc = await this.describe(searchId);
    if (desc.status.name !== 'RUNNING') {
      throw new GatewayError(
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
    if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > 1024) {
      throw invalid('parallelism', `must be in [1, 1024], got ${parallelism}`);
    }
    const desc = await this.describe(searchId);
    if (desc.status.name !== 'RUNNING') {
      throw new GatewayError(
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

function infoToPb(v: SearchView) {
  const p = v.progress;
  return {
    search_id: v.searchId,
    status: statusToPb(v.status),
    progress: p ? progressToPb(p) : null,
    spec: v.spec ? specToPb(v.spec) : null,
    winner: candidateToPb(p?.winner),
    final: candidateToPb(p?.final),
    outcome_ref: p?.outcomeRef ?? '',
    error: p?.error ?? '',
    workflow_status: v.workflowStatus,
    request_id: v.requestId ?? '',
    models: [...(p?.models ?? [])],
  };
}

/** Every field any Search request has (proto-loader fills defaults, so all are present). */
interface Req {
  search_id: string;
  request_id: string;
  spec: PbSearchSpec | null;
  reason: string;
  parallelism: number;
  top_k: number;
  status: string;
  stage: string;
  page_size: number;
  interval_ms: number;
}

type Unary = (call: grpc.ServerUnaryCall<Req, unknown>, cb: grpc.sendUnaryData<unknown>) => void;

function unary(fn: (req: Req) => Promise<unknown>): Unary {
  return (call, cb) => {
    fn(call.request).then(
      (res) => cb(null, res),
      (err) => cb(toServiceError(err) as grpc.ServiceError),
    );
  };
}

function progressKey(v: SearchView): string {
  const p = v.progress;
  return JSON.stringify([
    v.status,
    p?.stage,
    p?.evaluated,
    p?.best?.id,
    p?.parallelism,
    p?.leaderboard.map((c) => c.id),
  ]);
}

export function searchHandlers(gateway: SearchGateway): grpc.UntypedServiceImplementation {
  return {
    StartSearch: unary(async (req) => {
      const { view, created } = await gateway.start(req.request_id, req.spec);
      return { search_id: view.searchId, created, search: infoToPb(view) };
    }),
    GetSearch: unary(async (req) => infoToPb(await gateway.get(req.search_id))),
    PauseSearch: unary(async (req) => infoToPb(await gateway.signal(req.search_id, 'pause'))),
    ResumeSearch: unary(async (req) => infoToPb(await gateway.signal(req.search_id, 'resume'))),
    CancelSearch: unary(async (req) => infoToPb(await gateway.signal(req.search_id, 'cancel', req.reason))),
    SetParallelism: unary(async (req) => {
      const previous = await gateway.setParallelism(req.search_id, req.parallelism);
      return { previous, parallelism: req.parallelism };
    }),
    GetLeaderboard: unary(async (req) => {
      const view = await gateway.get(req.search_id);
      const entries = view.progress?.leaderboard ?? [];
      const k = req.top_k ? Math.min(req.top_k, entries.length) : entries.length;
      return { search_id: view.searchId, entries: entries.slice(0, k).map(candidateToPb) };
    }),
    ListSearches: unary(async (req) => {
      const wfs = await gateway.list(statusFromPb(req.status), req.stage, req.page_size);
      return {
        searches: wfs.map((wf) => {
          let status = wf.typedSearchAttributes.get(STATUS_ATTR) as SearchStatus | undefined;
          if (wf.status.name !== 'RUNNING' && (!status || !TERMINAL.includes(status))) {
            status =
              wf.status.name === 'CANCELLED'
                ? 'CANCELLED'
                : wf.status.name === 'COMPLETED'
                  ? 'COMPLETED'
                  : 'FAILED';
          }
          return {
            search_id: wf.workflowId,
            status: statusToPb(status),
            stage: wf.typedSearchAttributes.get(STAGE_ATTR) ?? '',
            start_time_ms: wf.startTime.getTime(),
            close_time_ms: wf.closeTime?.getTime() ?? 0,
            workflow_status: wf.status.name,
          };
        }),
      };
    }),
    WatchSearch: (call: grpc.ServerWritableStream<Req, unknown>) => {
      const interval = Math.max(100, call.request.interval_ms || 500);
      let closed = false;
      call.on('cancelled', () => {
        closed = true;
      });
      let sequence = 0;
      let lastKey = '';
      let unavailableSince: number | undefined;
      (async () => {
        while (!closed) {
          let view: SearchView;
          try {
            view = await gateway.get(call.request.search_id);
            unavailableSince = undefined;
          } catch (err) {
            const status = toServiceError(err);
            // Ride out a Temporal restart for a while once the stream is open; fail fast before.
            if (status.code === grpc.status.UNAVAILABLE && sequence > 0) {
              unavailableSince ??= Date.now();
              if (Date.now() - unavailableSince < 60_000) {
                await new Promise((r) => setTimeout(r, interval));
                continue;
              }
            }
            call.destroy(Object.assign(new Error(status.details), status));
            return;
          }
          const final = view.workflowStatus !== 'RUNNING';
          const key = progressKey(view);
          if (key !== lastKey || final) {
            lastKey = key;
            call.write({
              search_id: view.searchId,
              status: statusToPb(view.status),
              progress: view.progress ? progressToPb(view.progress) : null,
              final,
              sequence: sequence++,
            });
          }
          if (final) {
            call.end();
            return;
          }
          await new Promise((r) => setTimeout(r, interval));
        }
      })();
    },
  };
}

/** grpc.health.v1.Health: SERVING while Temporal answers (checked at most every 2 s). */
function healthHandlers(gateway: SearchGateway): grpc.UntypedServiceImplementation {
  let cached: { at: number; ok: boolean } | undefined;
  return {
    Check: (call: grpc.ServerUnaryCall<{ service: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      const service = call.request.service;
      if (service !== '' && service !== SEARCH_SERVICE) {
        cb({ code: grpc.status.NOT_FOUND, details: `unknown service '${service}'` });
        return;
      }
      const reply = (ok: boolean) => cb(null, { status: ok ? 'SERVING' : 'NOT_SERVING' });
      if (cached && Date.now() - cached.at < 2000) return reply(cached.ok);
      gateway.reachable().then((ok) => {
        cached = { at: Date.now(), ok };
        reply(ok);
      });
    },
    Watch: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      call.destroy(
        Object.assign(new Error('Watch is not implemented; poll Check'), { code: grpc.status.UNIMPLEMENTED }),
      );
    },
  };
}

export interface RunningSearchServer {
  readonly port: number;
  readonly server: grpc.Server;
  readonly gateway: SearchGateway;
  close(): Promise<void>;
}

export async function startSearchServer(
  options: SearchServiceOptions & { host?: string; port?: number },
): Promise<RunningSearchServer> {
  const definition = loadSearchProtos();
  const gateway = new SearchGateway(options);
  const server = new grpc.Server();
  server.addService(clientConstructor(definition, SEARCH_SERVICE).service, {
    ...searchHandlers(gateway),
    ...uploadHandlers(gateway.store),
  });
  server.addService(clientConstructor(definition, HEALTH_SERVICE).service, healthHandlers(gateway));
  addReflection(server, definition);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `${options.host ?? '127.0.0.1'}:${options.port ?? 0}`,
      grpc.ServerCredentials.createInsecure(),
      (err, p) => (err ? reject(err) : resolve(p)),
    ),
  );
  return {
    port,
    server,
    gateway,
    close: async () => {
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      await gateway.close();
    },
  };
}
