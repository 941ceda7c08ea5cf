/**
 * Which model versions serve: loads the latest version of each model in the repository at start,
 * loads / unloads / reloads on request (RPC) and, when polling is on, whenever a model's files
 * change. A reload builds the new version completely before it replaces the old one, which keeps
 * serving meanwhile and then retires once the requests that started on it are answered. With a
 * source (store mode: store-cache.ts), the folder is brought up to date from it before each look.
 */
import { status } from '@grpc/grpc-js';
import { notFound, ServiceError, unavailable } from '../../grpc/errors';
import type { InferenceMetrics } from '../metrics';
import { isValidModelName, listModelNames, listVersions, modelFingerprint, versionDir } from './layout';
import { type ModelLoadSettings, ModelVersion } from './model-version';

/** Triton's model states, as RepositoryIndex reports them. */
export type ModelState = 'READY' | 'LOADING' | 'UNLOADING' | 'UNAVAILABLE';

interface ModelEntry {
  serving: ModelVersion | null;
  state: ModelState;
  reason: string;
  /** Loads and unloads of one model run one after the other. */
  chain: Promise<void>;
}

export interface IndexEntry {
  name: string;
  version: string;
  state: ModelState;
  reason: string;
}

export type Logger = (message: string) => void;

/** Where the repository folder's contents come from, when something other than the folder holds them. */
export interface RepositorySource {
  /** Brings the folder up to date; never rejects (the folder keeps what it has). */
  pull(): Promise<void>;
}

export class ModelManager {
  private readonly models = new Map<string, ModelEntry>();
  private readonly seen = new Map<string, string>();
  private readonly retiring = new Set<Promise<void>>();
  private pollTimer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;

  constructor(
    readonly repo: string,
    private readonly settings: ModelLoadSettings,
    private readonly metrics: InferenceMetrics,
    private readonly log: Logger,
    private readonly source?: RepositorySource,
  ) {}

  /** Loads every model in the repository; a model that fails stays UNAVAILABLE with its reason. */
  async loadAll(): Promise<void> {
    await this.source?.pull();
    await Promise.all(
      listModelNames(this.repo).map(async (name) => {
        this.seen.set(name, modelFingerprint(this.repo, name));
        await this.loadLatest(name).catch(() => undefined);
      }),
    );
  }

  /**
   * Loads the latest version of `name`, or reloads it (RepositoryModelLoad); rejects when it cannot
   * be served. Pulls from the source first, so a model just published loads without a poll.
   */
  async load(name: string): Promise<void> {
    await this.source?.pull();
    return this.loadLatest(name);
  }

  private loadLatest(name: string): Promise<void> {
    if (!isValidModelName(name))
      return Promise.reject(new ServiceError(status.INVALID_ARGUMENT, `invalid model name '${name}'`));
    return this.enqueue(name, async (entry) => {
      const latest = listVersions(this.repo, name).at(-1);
      if (latest === undefined) {
        throw notFound(
          `failed to load '${name}': no version directory with model.onnx and model.json in the repository`,
        );
      }
      if (!entry.serving) entry.state = 'LOADING';
      let next: ModelVersion;
      try {
        next = await ModelVersion.load(
          name,
          String(latest),
          versionDir(this.repo, name, latest),
          this.settings,
          this.metrics,
        );
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        this.log(`model ${name} version ${latest}: load failed: ${reason}`);
        if (!entry.serving) Object.assign(entry, { state: 'UNAVAILABLE', reason });
        throw new ServiceError(status.INVALID_ARGUMENT, `failed to load '${name}': ${reason}`);
      }
      if (next.fallbackReason) this.log(`model ${name} version ${latest}: ${next.fallbackReason}; using cpu`);
      const previous = entry.serving;
      Object.assign(entry, { serving: next, state: 'READY', reason: '' });
      this.log(`model ${name} version ${latest}: ready on [${next.providers.join(', ')}]`);
      if (previous) this.retire(previous);
    });
  }

  /** Stops serving `name`; requests already running on it finish first. */
  unload(name: string): Promise<void> {
    if (!this.models.has(name))
      return Promise.reject(notFound(`failed to unload '${name}': model is not loaded`));
    return this.enqueue(name, async (entry) => {
      const previous = entry.serving;
      Object.assign(entry, { serving: null, state: 'UNAVAILABLE', reason: 'unloaded' });
      if (previous) {
        this.log(`model ${name} version ${previous.version}: unloaded`);
        this.retire(previous);
      }
    });
  }

  /**
   * The version a request runs on, held until the returned release is called. Without `version`
   * the serving (latest) one.
   */
  acquire(name: string, version: string): { model: ModelVersion; release: () => void } {
    const entry = this.models.get(name);
    const model = entry?.serving;
    if (!model || (version !== '' && version !== model.version)) {
      const what = version ? `'${name}' version ${version}` : `'${name}'`;
      if (entry && !model && entry.state === 'LOADING') throw unavailable(`model ${what} is loading`);
      throw notFound(`Request for unknown model: ${what} is not found`);
    }
    return { model, release: model.acquire() };
  }

  /** The serving version of `name`, without holding it (metadata, readiness). */
  find(name: string, version = ''): ModelVersion | null {
    const model = this.models.get(name)?.serving ?? null;
    return model && (version === '' || version === model.version) ? model : null;
  }

  loaded(): ModelVersion[] {
    return [...this.models.values()].flatMap((e) => (e.serving ? [e.serving] : []));
  }

  /** Every model in the repository or known to the server, with its state. */
  index(): IndexEntry[] {
    const names = new Set([...listModelNames(this.repo), ...this.models.keys()]);
    return [...names].sort().map((name) => {
      const entry = this.models.get(name);
      if (!entry) {
        const latest = listVersions(this.repo, name).at(-1);
        return {
          name,
          version: latest === undefined ? '' : String(latest),
          state: 'UNAVAILABLE',
          reason: 'not loaded',
        };
      }
      const version = entry.serving?.version ?? String(listVersions(this.repo, name).at(-1) ?? '');
      return { name, version, state: entry.state, reason: entry.reason };
    });
  }

  /** Checks the repository every `intervalMs` and loads, reloads or unloads what changed. */
  startPolling(intervalMs: number): void {
    const tick = () => {
      this.polling = this.poll().finally(() => {
        this.polling = null;
        if (this.pollTimer) this.pollTimer = setTimeout(tick, intervalMs);
      });
    };
    this.pollTimer = setTimeout(tick, intervalMs);
  }

  /** One pass over the repository: models whose files changed since the last look are reloaded. */
  async poll(): Promise<void> {
    await this.source?.pull();
    const names = new Set([...listModelNames(this.repo), ...this.seen.keys()]);
    await Promise.all(
      [...names].map(async (name) => {
        const fingerprint = modelFingerprint(this.repo, name);
        if (fingerprint === (this.seen.get(name) ?? '')) return;
        this.seen.set(name, fingerprint);
        const action = fingerprint === '' ? this.unload(name) : this.loadLatest(name);
        await action.catch((err: unknown) =>
          this.log(`poll: ${name}: ${err instanceof Error ? err.message : err}`),
        );
      }),
    );
  }

  /** Stops polling, stops serving every model and waits until their requests are answered. */
  async close(): Promise<void> {
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    await this.polling;
    await Promise.all([...this.models.keys()].map((name) => this.unload(name)));
    await Promise.all(this.retiring);
  }

  private enqueue(name: string, work: (entry: ModelEntry) => Promise<void>): Promise<void> {
    let entry = this.models.get(name);
    if (!entry) {
      entry = { serving: null, state: 'UNAVAILABLE', reason: '', chain: Promise.resolve() };
      this.models.set(name, entry);
    }
    const target = entry;
    const result = target.chain.then(() => work(target));
    target.chain = result.catch(() => undefined);
    return result;
  }

  private retire(model: ModelVersion): void {
    const done = model
      .retire()
      .catch((err: unknown) =>
        this.log(`model ${model.name} version ${model.version}: retire failed: ${err}`),
      )
      .finally(() => this.retiring.delete(done));
    this.retiring.add(done);
  }
}
