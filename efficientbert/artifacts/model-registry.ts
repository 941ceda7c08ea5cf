/**
 * The model repository kept in the artifact store, for deployments with no shared disk: workers
 * publish each exported model version as a record `{ name, version, ref }` in one log, where `ref`
 * is a directory artifact holding that version's package (model.onnx, model.json, tokenizer/);
 * inference servers read the log and pull the packages they do not have yet. A log, not pointers,
 * because readers must list every model and the store can list log records but not pointers;
 * appendLog is also safe for many writers on S3 (one object per record).
 *
 * Versions are immutable, as in a directory repository: the first record of a name and version is
 * the one that counts, and publishing one that is already recorded appends nothing.
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

function isPublishedModel(value: unknown): value is PublishedModel {
  const r = value as Partial<PublishedModel> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.name === 'string' &&
    Number.isSafeInteger(r.version) &&
    (r.version ?? -1) >= 0 &&
    isArtifactRef(r.ref) &&
    typeof r.searchId === 'string'
  );
}

const key = (m: { name: string; version: number }) => `${m.name}/${m.version}`;

/**
 * Every published model version, the first record of each name and version only, in publishing
 * order. Records that are not well-formed are left out: the log is shared, and one bad writer must
 * not stop every server.
 */
export async function readPublishedModels(store: ArtifactStore): Promise<PublishedModel[]> {
  const first = new Map<string, PublishedModel>();
  for (const record of await store.readLog(MODEL_REGISTRY_LOG)) {
    if (isPublishedModel(record) && !first.has(key(record))) first.set(key(record), record);
  }
  return [...first.values()];
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
  const recorded = new Set((await readPublishedModels(store)).map(key));
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
