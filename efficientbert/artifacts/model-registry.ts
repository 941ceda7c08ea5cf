/**
 * The model repository kept in the artifact store, for deployments with no shared disk: workers
 * publish each exported model version as a record `{ name, version, ref }` in one log, where `ref`
 * is a directory artifact holding that version's package (model.onnx, model.json, tokenizer/);
 * inference servers read the log and pull the packages they do not have yet. A log, not pointers,
 * because readers must list every model and the store can list log records but not pointers;
 * appendLog is also safe for many writers on S3 (one object per record).
 *
 * Versions are immutable, as in a directory repository: the first record of a name and version is
 * the one that counts, and publishing one that is already recorded appends nothing. A version is
 * taken out of service by a withdrawal record `{ name, version, withdrawn: true, reason }`: from
 * then on it is never served and never published again (a withdrawn model is not quietly back
 * because a retried activity published it once more).
 */
import { type ArtifactRef, type ArtifactStore, type DirManifest, isArtifactRef } from './store';

/** The value of EFFICIENTBERT_MODEL_REPO (and the inference server's --repository) that selects this. */
export const STORE_MODEL_REPOSITORY = 'store';

export const MODEL_REGISTRY_LOG = 'model-repository';

export interface PublishedModel {
  readonly name: string;
  readonly version: number;
  /** A directory artifact: the version's package, files at its root. */
  readonly ref: ArtifactRef;
  /** The search that published it (for people reading the log). */
  readonly searchId: string;
}

/** A log record naming a model version: `name` and a non-negative integer `version`. */
function namesVersion(value: unknown): value is { name: string; version: number } {
  const r = value as { name?: unknown; version?: unknown } | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.name === 'string' &&
    Number.isSafeInteger(r.version) &&
    (r.version as number) >= 0
  );
}

function isPublishedModel(value: unknown): value is PublishedModel {
  const r = value as Partial<PublishedModel>;
  return namesVersion(value) && isArtifactRef(r.ref) && typeof r.searchId === 'string';
}

export interface WithdrawnModel {
  readonly name: string;
  readonly version: number;
  readonly withdrawn: true;
  /** Why (for people reading the log and the servers' logs). */
  readonly reason: string;
}

function isWithdrawal(value: unknown): value is WithdrawnModel {
  const r = value as Partial<WithdrawnModel>;
  return namesVersion(value) && r.withdrawn === true && typeof r.reason === 'string';
}

const key = (m: { name: string; version: number }) => `${m.name}/${m.version}`;

/**
 * The log read whole: the first publication of each name and version, in publishing order, and
 * the versions withdrawn. Records that are not well-formed are left out: the log is shared, and
 * one bad writer must not stop every server.
 */
async function readRegistry(
  store: ArtifactStore,
): Promise<{ published: Map<string, PublishedModel>; withdrawn: Map<string, WithdrawnModel> }> {
  const published = new Map<string, PublishedModel>();
  const withdrawn = new Map<string, WithdrawnModel>();
  for (const record of await store.readLog(MODEL_REGISTRY_LOG)) {
    if (isWithdrawal(record)) {
      if (!withdrawn.has(key(record))) withdrawn.set(key(record), record);
    } else if (isPublishedModel(record) && !published.has(key(record))) published.set(key(record), record);
  }
  return { published, withdrawn };
}

/**
 * What a server reads: the versions to serve (published and not withdrawn, in publishing order)
 * and the withdrawn ones. A server stops serving a version only when it is withdrawn, never
 * because the log lacks it: an empty or wrong store must not empty every server.
 */
export async function readModelRegistry(
  store: ArtifactStore,
): Promise<{ served: PublishedModel[]; withdrawn: WithdrawnModel[] }> {
  const { published, withdrawn } = await readRegistry(store);
  return {
    served: [...published.values()].filter((m) => !withdrawn.has(key(m))),
    withdrawn: [...withdrawn.values()],
  };
}

/** Every model version to serve: published and not withdrawn, in publishing order. */
export async function readPublishedModels(store: ArtifactStore): Promise<PublishedModel[]> {
  return (await readModelRegistry(store)).served;
}

/** Thrown when a withdrawal names a version that was never published. */
export class UnpublishedModelError extends Error {
  constructor(name: string, version: number) {
    super(`model '${name}' version ${version} was never published to this store`);
    this.name = 'UnpublishedModelError';
  }
}

/**
 * Takes a published version out of service on every server reading this store (on their next
 * poll). Withdrawing a version again appends nothing; returns whether this call withdrew it.
 */
export async function withdrawModelVersion(
  store: ArtifactStore,
  name: string,
  version: number,
  reason: string,
): Promise<boolean> {
  const { published, withdrawn } = await readRegistry(store);
  const id = key({ name, version });
  if (!published.has(id)) throw new UnpublishedModelError(name, version);
  if (withdrawn.has(id)) return false;
  const record: WithdrawnModel = { name, version, withdrawn: true, reason };
  await store.appendLog(MODEL_REGISTRY_LOG, record);
  return true;
}

/**
 * Publishes the model versions of a directory artifact laid out as a model repository
 * (`<name>/<version>/...`): each version's files become a directory artifact of their own (a new
 * manifest over the same file refs, so no bytes are copied) and one log record. Versions already
 * recorded are skipped, so a retried activity publishes nothing twice. Returns the model names.
 */
export async function publishRepositoryArtifact(
  store: ArtifactStore,
  repositoryRef: string,
  searchId: string,
): Promise<string[]> {
  const manifest = await store.getJson<DirManifest>(repositoryRef);
  if (manifest.kind !== 'efficientbert.dir-manifest')
    throw new TypeError(`${repositoryRef} is not a directory manifest`);
  const versions = new Map<
    string,
    { name: string; version: number; entries: DirManifest['entries'][number][] }
  >();
  for (const entry of manifest.entries) {
    const [name, number, ...rest] = entry.path.split('/');
    if (!name || !number || !/^[0-9]+$/.test(number) || rest.length === 0) continue;
    const version = { name, version: Number(number) };
    const group = versions.get(key(version)) ?? { ...version, entries: [] };
    group.entries.push({ ...entry, path: rest.join('/') });
    versions.set(key(version), group);
  }
  const { published, withdrawn } = await readRegistry(store);
  const recorded = new Set([...published.keys(), ...withdrawn.keys()]);
  for (const group of versions.values()) {
    if (recorded.has(key(group))) continue;
    const packageManifest: DirManifest = {
      kind: 'efficientbert.dir-manifest',
      version: 1,
      entries: group.entries,
    };
    const record: PublishedModel = {
      name: group.name,
      version: group.version,
      ref: await store.putJson(packageManifest),
      searchId,
    };
    await store.appendLog(MODEL_REGISTRY_LOG, record);
  }
  return [...new Set([...versions.values()].map((v) => v.name))].sort();
}
