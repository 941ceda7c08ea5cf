/**
 * The local stack `efficientbert dev up` runs, all detached, state under one folder: the Temporal
 * dev server (SQLite), the worker, the Search gateway and the inference server. Bringing it up is
 * idempotent: a healthy component is reused, a dead one is started again, one started with other
 * settings (e.g. another trainer) is restarted, and a healthy server we did not start that already
 * answers on the configured port is used as is.
 */
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { grpcServing } from '../grpc/health';
import { probeCredentials } from './client-security';
import {
  isRunning,
  type ProcessRecord,
  portTaken,
  readRecord,
  removeRecord,
  spawnDetached,
  stopProcess,
  waitUntil,
  writeRecord,
} from './managed-process';
import { devServerStatus, isHealthy, startDevServer, stopDevServer } from './temporal-dev';

const ROOT = path.join(__dirname, '..', '..');

export interface StackSettings {
  /** Pid files, logs, SQLite, artifacts and models of the local stack. */
  readonly stateDir: string;
  readonly temporalAddress: string;
  readonly temporalUiPort: number;
  readonly searchAddress: string;
  readonly inferenceAddress: string;
  readonly inferenceMetricsPort: number;
  /** The model repository the inference server serves (and the search registers winners in). */
  readonly modelsDir: string;
  readonly artifactsDir: string;
  /** EFFICIENTBERT_TRAINER of the worker: `kd` (real) or `fake`. */
  readonly trainer: string;
  /** GLUE data folder searches read, as the workers see it ('' = the worker's default). */
  readonly dataDir: string;
  /** TLS and token files ('' = unset): what the CLI's clients use (client-security.ts) ... */
  readonly tlsCa: string;
  readonly tlsClientCert: string;
  readonly tlsClientKey: string;
  /** ... and, with the tokens, what the servers started here enforce. */
  readonly tokenFile: string;
  readonly readOnlyTokenFile: string;
  readonly tlsCert: string;
  readonly tlsKey: string;
  readonly tlsClientCa: string;
}

export type Action = 'started' | 'reused' | 'restarted' | 'external';

export interface ComponentState {
  readonly name: string;
  readonly address: string;
  readonly healthy: boolean;
  /** Absent for a server we did not start (found healthy on the port). */
  readonly pid?: number;
  /** What `up` did; absent for status. */
  readonly action?: Action;
  readonly log?: string;
}

/** A Node service of ours, started as `node --import tsx <script> <args>`. */
interface NodeService {
  readonly name: string;
  readonly script: string;
  readonly address: (s: StackSettings) => string;
  readonly args: (s: StackSettings) => string[];
  readonly env: (s: StackSettings) => Record<string, string>;
  /** What, once different, means restart rather than reuse. */
  readonly settings: (s: StackSettings) => Record<string, string>;
  readonly healthy: (s: StackSettings, record: ProcessRecord | undefined, log: string) => Promise<boolean>;
  /** Whether a healthy foreign server on the address may stand in for ours. */
  readonly listens: boolean;
}

/**
 * The servers' TLS and token settings as the variables each one reads (`prefix` + TLS_CERT, ...).
 * Token files travel as paths; a token given as $EFFICIENTBERT_TOKEN travels in the child's
 * environment (readable by its owner only), never in argv or in the process record.
 */
function securityEnv(s: StackSettings, prefix: string): Record<string, string> {
  const files: Record<string, string> = {
    TLS_CERT: s.tlsCert,
    TLS_KEY: s.tlsKey,
    TLS_CLIENT_CA: s.tlsClientCa,
    AUTH_TOKEN_FILE: s.tokenFile,
    READ_ONLY_TOKEN_FILE: s.readOnlyTokenFile,
  };
  const token = s.tokenFile ? undefined : process.env.EFFICIENTBERT_TOKEN;
  return Object.fromEntries(
    [...Object.entries(files), ['AUTH_TOKEN', token ?? '']]
      .filter(([, v]) => v !== '')
      .map(([k, v]) => [`${prefix}${k}`, v!]),
  );
}

/** What, once changed, restarts a server: the security files (not the token values). */
function securitySettings(s: StackSettings): Record<string, string> {
  return {
    tlsCert: s.tlsCert,
    tlsKey: s.tlsKey,
    tlsClientCa: s.tlsClientCa,
    tokenFile: s.tokenFile,
    readOnlyTokenFile: s.readOnlyTokenFile,
  };
}

function hostPort(address: string): { host: string; port: string } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: address.slice(at + 1) };
}

/** The worker has no port: it is healthy once it has logged `ready` since its start. */
function workerReady(record: ProcessRecord | undefined, log: string): boolean {
  if (!record || !isRunning(record)) return false;
  try {
    return readFileSync(log, 'utf8')
      .slice(Number(record.settings.logOffset ?? 0))
      .includes('ready');
  } catch {
    return false;
  }
}

const SERVICES: readonly NodeService[] = [
  {
    name: 'worker',
    script: 'services/worker/main.ts',
    listens: false,
    address: (s) => s.temporalAddress,
    args: () => [],
    env: (s) => ({
      TEMPORAL_ADDRESS: s.temporalAddress,
      EFFICIENTBERT_ARTIFACTS: s.artifactsDir,
      EFFICIENTBERT_MODEL_REPO: s.modelsDir,
      EFFICIENTBERT_TRAINER: s.trainer,
      ...(s.dataDir ? { EFFICIENTBERT_DATA: s.dataDir } : {}),
    }),
    settings: (s) => ({
      temporal: s.temporalAddress,
      artifacts: s.artifactsDir,
      models: s.modelsDir,
      trainer: s.trainer,
      data: s.dataDir,
    }),
    healthy: async (_s, record, log) => workerReady(record, log),
  },
  {
    name: 'search',
    script: 'services/search/main.ts',
    listens: true,
    address: (s) => s.searchAddress,
    args: () => [],
    env: (s) => ({
      SEARCH_HOST: hostPort(s.searchAddress).host,
      SEARCH_PORT: hostPort(s.searchAddress).port,
      TEMPORAL_ADDRESS: s.temporalAddress,
      ...securityEnv(s, 'SEARCH_'),
      // Uploaded datasets go where the worker reads them.
      EFFICIENTBERT_ARTIFACTS: s.artifactsDir,
    }),
    settings: (s) => ({
      address: s.searchAddress,
      temporal: s.temporalAddress,
      artifacts: s.artifactsDir,
      ...securitySettings(s),
    }),
    healthy: (s) => grpcServing(s.searchAddress, 'efficientbert.v1.Search', 2000, probeCredentials(s)),
  },
  {
    name: 'inference',
    script: 'services/inference/main.ts',
    listens: true,
    address: (s) => s.inferenceAddress,
    args: (s) => [
      '--repository',
      s.modelsDir,
      '--host',
      hostPort(s.inferenceAddress).host,
      '--port',
      hostPort(s.inferenceAddress).port,
      '--metrics-port',
      String(s.inferenceMetricsPort),
      // Pick up the models searches register while the server runs.
      '--poll-interval-ms',
      '2000',
    ],
    env: (s) => securityEnv(s, 'EFFICIENTBERT_INFERENCE_'),
    settings: (s) => ({
      address: s.inferenceAddress,
      models: s.modelsDir,
      metrics: String(s.inferenceMetricsPort),
      ...securitySettings(s),
    }),
    healthy: (s) => grpcServing(s.inferenceAddress, '', 2000, probeCredentials(s)),
  },
];

/** The order `down` stops in (reverse of start): clients of Temporal first. */
const STOP_ORDER = ['inference', 'search', 'worker'];

export function logsDir(s: StackSettings): string {
  return path.join(s.stateDir, 'logs');
}

function temporalDir(s: StackSettings): string {
  return path.join(s.stateDir, 'temporal');
}

function sameSettings(a: Readonly<Record<string, string>>, b: Record<string, string>): boolean {
  return Object.entries(b).every(([k, v]) => a[k] === v);
}

async function startService(svc: NodeService, s: StackSettings, action: Action): Promise<ComponentState> {
  const log = path.join(logsDir(s), `${svc.name}.log`);
  const logOffset = await fs.stat(log).then(
    (st) => st.size,
    () => 0,
  );
  const script = path.join(ROOT, svc.script);
  const pid = spawnDetached(process.execPath, ['--import', 'tsx', script, ...svc.args(s)], {
    cwd: ROOT,
    env: { ...process.env, ...svc.env(s) },
    logFile: log,
  });
  const record: ProcessRecord = {
    pid,
    script,
    address: svc.address(s),
    startedAt: new Date().toISOString(),
    settings: { ...svc.settings(s), logOffset: String(logOffset) },
  };
  await writeRecord(s.stateDir, svc.name, record);
  try {
    await waitUntil(() => svc.healthy(s, record, log), {
      timeoutMs: 180_000,
      record,
      what: `the ${svc.name}`,
      logFile: log,
    });
  } catch (err) {
    if (isRunning(record)) await stopProcess(pid, 2000);
    await removeRecord(s.stateDir, svc.name);
    throw err;
  }
  return { name: svc.name, address: svc.address(s), healthy: true, pid, action, log };
}

async function upService(svc: NodeService, s: StackSettings): Promise<ComponentState> {
  const log = path.join(logsDir(s), `${svc.name}.log`);
  const record = await readRecord(s.stateDir, svc.name);
  if (record && isRunning(record)) {
    if (sameSettings(record.settings, svc.settings(s))) {
      // Give one that is still starting (an earlier `up` interrupted) a moment before replacing it.
      const healthy = await waitUntil(() => svc.healthy(s, record, log), {
        timeoutMs: 30_000,
        record,
        what: svc.name,
        logFile: log,
      }).then(
        () => true,
        () => false,
      );
      if (healthy)
        return { name: svc.name, address: svc.address(s), healthy, pid: record.pid, action: 'reused', log };
    }
    await stopProcess(record.pid, 15_000);
    await removeRecord(s.stateDir, svc.name);
    return startService(svc, s, 'restarted');
  }
  if (record) await removeRecord(s.stateDir, svc.name);
  if (svc.listens) {
    const { host, port } = hostPort(svc.address(s));
    if (await svc.healthy(s, undefined, log))
      return { name: svc.name, address: svc.address(s), healthy: true, action: 'external' };
    if (await portTaken(host, Number(port)))
      throw new Error(
        `${svc.address(s)} is taken by a process that is not a healthy ${svc.name} service: ` +
          `stop it or pick another address (see efficientbert dev --help)`,
      );
  }
  return startService(svc, s, record ? 'restarted' : 'started');
}

/** Starts or reuses every component; resolves with what it did to each. */
export async function stackUp(s: StackSettings): Promise<ComponentState[]> {
  await fs.mkdir(logsDir(s), { recursive: true });
  await fs.mkdir(s.modelsDir, { recursive: true });
  await fs.mkdir(s.artifactsDir, { recursive: true });
  const { host, port } = hostPort(s.temporalAddress);
  const temporal = await startDevServer({
    stateDir: temporalDir(s),
    ip: host,
    port: Number(port),
    uiPort: s.temporalUiPort,
    healthTimeoutMs: 120_000,
  });
  const temporalState: ComponentState = {
    name: 'temporal',
    address: temporal.address,
    healthy: true,
    ...(temporal.pid ? { pid: temporal.pid } : {}),
    action: temporal.reused ? (temporal.pid ? 'reused' : 'external') : 'started',
    log: path.join(temporalDir(s), 'temporal.log'),
  };
  const services = await Promise.all(SERVICES.map((svc) => upService(svc, s)));
  return [temporalState, ...services];
}

export async function stackStatus(s: StackSettings): Promise<ComponentState[]> {
  const temporal = await devServerStatus(temporalDir(s));
  const temporalState: ComponentState = {
    name: 'temporal',
    address: temporal.info?.address ?? s.temporalAddress,
    healthy: temporal.healthy || (!temporal.info && (await isHealthy(s.temporalAddress))),
    ...(temporal.running && temporal.info ? { pid: temporal.info.pid } : {}),
    log: path.join(temporalDir(s), 'temporal.log'),
  };
  const services = await Promise.all(
    SERVICES.map(async (svc): Promise<ComponentState> => {
      const log = path.join(logsDir(s), `${svc.name}.log`);
      const record = await readRecord(s.stateDir, svc.name);
      const running = record !== undefined && isRunning(record);
      const healthy = (running || svc.listens) && (await svc.healthy(s, record, log));
      return {
        name: svc.name,
        address: record?.address ?? svc.address(s),
        healthy,
        ...(running ? { pid: record!.pid } : {}),
        log,
      };
    }),
  );
  return [temporalState, ...services];
}

/** Stops what `up` started here (SIGTERM, then SIGKILL after a grace period); returns their names. */
export async function stackDown(
  s: StackSettings,
  graceMs = 15_000,
): Promise<{ name: string; how: string }[]> {
  const stopped: { name: string; how: string }[] = [];
  for (const name of STOP_ORDER) {
    const record = await readRecord(s.stateDir, name);
    if (record && isRunning(record)) stopped.push({ name, how: await stopProcess(record.pid, graceMs) });
    await removeRecord(s.stateDir, name);
  }
  if (await stopDevServer(temporalDir(s), graceMs)) stopped.push({ name: 'temporal', how: 'stopped' });
  return stopped;
}

/** Where the Temporal web UI of this stack is. */
export function temporalUiUrl(s: StackSettings): string {
  return `http://${hostPort(s.temporalAddress).host}:${s.temporalUiPort}`;
}
