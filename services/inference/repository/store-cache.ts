/**
 * Store mode of the model repository: the models workers published to the artifact store
 * (efficientbert/artifacts/model-registry.ts) pulled into a local folder that the model manager
 * then serves exactly like a directory repository. The folder:
 *
 *   .packages/<sha256 hex>/     one downloaded package per ref, so a ref is fetched once however
 *                               many names or versions (or retried publications) point at it
 *   .incoming/<hex>-<random>/   a download in progress, renamed into .packages/ only when
 *                               complete, so a half-downloaded model is never loaded
 *   <model>/<version>           a symlink to ../.packages/<hex>, swapped in by rename
 *
 * The dot folders are not model names to the layout reader, and a version appears only once its
 * link does. A version withdrawn from the store loses its link (the model manager then serves the
 * previous version, or unloads the model), and a package no link points at any more is deleted.
 * One cache folder belongs to one server.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import {
  ArtifactCorruptError,
  ArtifactNotFoundError,
  type ArtifactStore,
  hexOf,
  type PublishedModel,
  readModelRegistry,
  type WithdrawnModel,
} from '../../../efficientbert/artifacts';
import { isValidModelName } from './layout';
import type { Logger, RepositorySource } from './model-manager';

const PACKAGES = '.packages';
const INCOMING = '.incoming';

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Failures that the same ref will give on every try (missing, corrupt, not a directory manifest):
 * such a version is skipped from then on. Anything else (the store unreachable) is retried.
 */
function isPermanent(err: unknown): boolean {
  return (
    err instanceof ArtifactNotFoundError ||
    err instanceof ArtifactCorruptError ||
    err instanceof TypeError ||
    err instanceof SyntaxError
  );
}

async function readLink(file: string): Promise<string | null> {
  try {
    return await fs.readlink(file);
  } catch {
    return null;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

export class StoreModelCache implements RepositorySource {
  private pulling: Promise<void> = Promise.resolve();
  private incomingCleared = false;
  private packagesPruned = false;
  /** `<name>/<version>` of published versions that cannot be served; logged once, then skipped. */
  private readonly skipped = new Set<string>();

  constructor(
    private readonly store: ArtifactStore,
    /** The folder the model manager serves from. */
    readonly dir: string,
    private readonly log: Logger,
  ) {}

  /**
   * Brings the folder up to date with the store. Never rejects: while the store is unreachable the
   * models already in the folder keep serving, and the next pull tries again. Pulls run one at a
   * time (a poll and a RepositoryModelLoad may ask together).
   */
  pull(): Promise<void> {
    this.pulling = this.pulling.then(() => this.pullOnce());
    return this.pulling;
  }

  private async pullOnce(): Promise<void> {
    let models: PublishedModel[];
    let withdrawn: WithdrawnModel[];
    try {
      // What a killed server left half-downloaded is of no use: its downloads start over.
      if (!this.incomingCleared) await fs.rm(path.join(this.dir, INCOMING), { recursive: true, force: true });
      this.incomingCleared = true;
      ({ served: models, withdrawn } = await readModelRegistry(this.store));
    } catch (err) {
      this.log(
        `model store ${this.store.location}: cannot read published models (${message(err)}); serving the cached ones, retrying on the next poll`,
      );
      return;
    }
    for (const model of models) {
      const id = `${model.name}/${model.version}`;
      if (this.skipped.has(id)) continue;
      if (!isValidModelName(model.name)) {
        this.skipped.add(id);
        this.log(`model store: skipping '${model.name}' version ${model.version}: invalid model name`);
        continue;
      }
      try {
        await this.install(model);
      } catch (err) {
        const permanent = isPermanent(err);
        if (permanent) this.skipped.add(id);
        this.log(
          `model store: ${model.name} version ${model.version} (${model.ref}): ${message(err)}; ${permanent ? 'skipped' : 'retrying on the next poll'}`,
        );
      }
    }
    try {
      await this.removeWithdrawn(withdrawn);
    } catch (err) {
      this.log(`model store: cannot prune ${this.dir} (${message(err)}); trying again on the next poll`);
    }
  }

  /** Our version links (into .packages/), by `<name>/<version>`. */
  private async versionLinks(): Promise<Map<string, string>> {
    const links = new Map<string, string>();
    for (const name of await fs.readdir(this.dir)) {
      if (name.startsWith('.') || !(await fs.stat(path.join(this.dir, name))).isDirectory()) continue;
      for (const version of await fs.readdir(path.join(this.dir, name))) {
        if (!/^[0-9]+$/.test(version)) continue;
        const target = await readLink(path.join(this.dir, name, version));
        if (target?.startsWith(`..${path.sep}${PACKAGES}${path.sep}`))
          links.set(`${name}/${version}`, target);
      }
    }
    return links;
  }

  /**
   * Drops the links of withdrawn versions, then the packages nothing links to. The cache is
   * scanned only when a link went (or once, for what a killed server left), not on every poll.
   */
  private async removeWithdrawn(withdrawn: readonly WithdrawnModel[]): Promise<void> {
    let removed = false;
    for (const w of withdrawn) {
      const link = path.join(this.dir, w.name, String(w.version));
      if (!(await readLink(link))?.startsWith(`..${path.sep}${PACKAGES}${path.sep}`)) continue;
      await fs.rm(link, { force: true });
      removed = true;
      this.log(`model store: ${w.name} version ${w.version} was withdrawn (${w.reason}); no longer served`);
    }
    if (!removed && this.packagesPruned) return;
    this.packagesPruned = true;
    const linked = new Set([...(await this.versionLinks()).values()].map((t) => path.basename(t)));
    let packages: string[];
    try {
      packages = await fs.readdir(path.join(this.dir, PACKAGES));
    } catch {
      return;
    }
    for (const hex of packages) {
      if (linked.has(hex)) continue;
      await fs.rm(path.join(this.dir, PACKAGES, hex), { recursive: true, force: true });
      this.log(`model store: deleted the cached package sha256:${hex} (no version uses it)`);
    }
  }

  /** Makes `<name>/<version>` point at the version's package, fetching the package if needed. */
  private async install(model: PublishedModel): Promise<void> {
    const hex = hexOf(model.ref);
    const link = path.join(this.dir, model.name, String(model.version));
    const target = path.join('..', PACKAGES, hex);
    if ((await readLink(link)) === target) return;
    await this.fetchPackage(model.ref, hex);
    await fs.mkdir(path.dirname(link), { recursive: true });
    // Not a version name to the layout reader (not all digits) until renamed.
    const staged = `${link}.link-${randomBytes(4).toString('hex')}`;
    await fs.symlink(target, staged);
    await fs.rename(staged, link);
    this.log(`model store: ${model.name} version ${model.version} is ${model.ref}`);
  }

  private async fetchPackage(ref: string, hex: string): Promise<void> {
    const dest = path.join(this.dir, PACKAGES, hex);
    if (await exists(dest)) return;
    const incoming = path.join(this.dir, INCOMING, `${hex}-${randomBytes(4).toString('hex')}`);
    try {
      await fs.mkdir(incoming, { recursive: true });
      await this.store.getDir(ref, incoming);
      await fs.mkdir(path.dirname(dest), { recursive: true });
      await fs.rename(incoming, dest);
      this.log(`model store: fetched ${ref}`);
    } finally {
      await fs.rm(incoming, { recursive: true, force: true });
    }
  }
}
