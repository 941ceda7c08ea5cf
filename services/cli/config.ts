/**
 * Where the CLI finds (and `dev up` puts) the local stack. One setting, four sources, first wins:
 * command-line flag > environment variable > config file > default. The config file is
 * `efficientbert.config.json` in the working directory, or the one named by --config or
 * EFFICIENTBERT_CONFIG; relative paths in it are relative to the file's folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StackSettings } from '../dev/stack';
import { EXIT, UsageError } from './command';

/** Every CLI setting is a setting of the local stack (services/dev). */
export type CliConfig = StackSettings;

type Kind = 'string' | 'port' | 'path';

interface Setting {
  readonly key: keyof CliConfig;
  readonly flag: string;
  readonly env: string;
  readonly kind: Kind;
  readonly help: string;
  /** Undefined: derived from stateDir (see DERIVED). */
  readonly fallback?: string;
}

/** Every setting with its flag, variable and default: the table --help prints. */
export const SETTINGS: readonly Setting[] = [
  {
    key: 'stateDir',
    flag: 'state-dir',
    env: 'EFFICIENTBERT_STATE_DIR',
    kind: 'path',
    fallback: '.efficientbert',
    help: 'pid files, logs, Temporal SQLite',
  },
  {
    key: 'temporalAddress',
    flag: 'temporal-address',
    env: 'TEMPORAL_ADDRESS',
    kind: 'string',
    fallback: '127.0.0.1:7233',
    help: 'Temporal frontend',
  },
  {
    key: 'temporalUiPort',
    flag: 'temporal-ui-port',
    env: 'EFFICIENTBERT_TEMPORAL_UI_PORT',
    kind: 'port',
    fallback: '8233',
    help: 'Temporal web UI (dev up)',
  },
  {
    key: 'searchAddress',
    flag: 'search-address',
    env: 'EFFICIENTBERT_SEARCH_ADDRESS',
    kind: 'string',
    fallback: '127.0.0.1:50052',
    help: 'efficientbert.v1.Search',
  },
  {
    key: 'inferenceAddress',
    flag: 'inference-address',
    env: 'EFFICIENTBERT_INFERENCE_ADDRESS',
    kind: 'string',
    fallback: '127.0.0.1:8001',
    help: 'efficientbert.v1.Inference',
  },
  {
    key: 'inferenceMetricsPort',
    flag: 'inference-metrics-port',
    env: 'EFFICIENTBERT_INFERENCE_METRICS_PORT',
    kind: 'port',
    fallback: '8002',
    help: 'Prometheus metrics (dev up)',
  },
  {
    key: 'modelsDir',
    flag: 'models-dir',
    env: 'EFFICIENTBERT_MODEL_REPO',
    kind: 'path',
    help: 'model repository (default STATE/models)',
  },
  {
    key: 'artifactsDir',
    flag: 'artifacts-dir',
    env: 'EFFICIENTBERT_ARTIFACTS',
    kind: 'path',
    help: 'artifact store (default STATE/artifacts)',
  },
  {
    key: 'trainer',
    flag: 'trainer',
    env: 'EFFICIENTBERT_TRAINER',
    kind: 'string',
    fallback: 'kd',
    help: 'trainer of the dev worker: kd or fake',
  },
  {
    key: 'dataDir',
    flag: 'data',
    env: 'EFFICIENTBERT_DATA',
    kind: 'path',
    fallback: '',
    help: 'GLUE data folder for searches',
  },
  // TLS and tokens. Only file paths are settings: a token on the command line would show in `ps`,
  // so its value comes from a file or from $EFFICIENTBERT_TOKEN (client-security.ts).
  {
    key: 'tlsCa',
    flag: 'tls-ca',
    env: 'EFFICIENTBERT_TLS_CA',
    kind: 'path',
    fallback: '',
    help: 'PEM CA the CLI trusts: connect with TLS',
  },
  {
    key: 'tlsClientCert',
    flag: 'tls-client-cert',
    env: 'EFFICIENTBERT_TLS_CLIENT_CERT',
    kind: 'path',
    fallback: '',
    help: 'PEM client certificate the CLI presents (mutual TLS)',
  },
  {
    key: 'tlsClientKey',
    flag: 'tls-client-key',
    env: 'EFFICIENTBERT_TLS_CLIENT_KEY',
    kind: 'path',
    fallback: '',
    help: 'PEM key of --tls-client-cert',
  },
  {
    key: 'tokenFile',
    flag: 'token-file',
    env: 'EFFICIENTBERT_TOKEN_FILE',
    kind: 'path',
    fallback: '',
    help: 'read-write bearer token the CLI sends and dev up enforces (or $EFFICIENTBERT_TOKEN)',
  },
  {
    key: 'readOnlyTokenFile',
    flag: 'read-only-token-file',
    env: 'EFFICIENTBERT_READ_ONLY_TOKEN_FILE',
    kind: 'path',
    fallback: '',
    help: 'read-only bearer token dev up accepts as well',
  },
  {
    key: 'tlsCert',
    flag: 'tls-cert',
    env: 'EFFICIENTBERT_TLS_CERT',
    kind: 'path',
    fallback: '',
    help: 'PEM certificate of the services dev up starts (serve TLS)',
  },
  {
    key: 'tlsKey',
    flag: 'tls-key',
    env: 'EFFICIENTBERT_TLS_KEY',
    kind: 'path',
    fallback: '',
    help: 'PEM key of --tls-cert',
  },
  {
    key: 'tlsClientCa',
    flag: 'tls-client-ca',
    env: 'EFFICIENTBERT_TLS_CLIENT_CA',
    kind: 'path',
    fallback: '',
    help: 'dev up: require client certificates signed by this CA',
  },
];

/** Settings whose default lives inside the state folder. */
const DERIVED: Partial<Record<keyof CliConfig, string>> = { modelsDir: 'models', artifactsDir: 'artifacts' };

export const CONFIG_FILE = 'efficientbert.config.json';

/** parseArgs options of the settings, plus --config: merge them into each command's own options. */
export const CONFIG_FLAGS = Object.fromEntries([
  ['config', { type: 'string' as const }],
  ...SETTINGS.map((s) => [s.flag, { type: 'string' as const }]),
]) as Record<string, { type: 'string' }>;

export const CONFIG_HELP = [
  'configuration (flag > environment variable > config file > default):',
  '  --config FILE                   JSON file with the keys below (default ./efficientbert.config.json,',
  '                                  or $EFFICIENTBERT_CONFIG); relative paths are relative to the file',
  ...SETTINGS.map(
    (s) =>
      `  --${`${s.flag} ${s.kind === 'port' ? 'PORT' : s.kind === 'path' ? (s.key.endsWith('Dir') ? 'DIR' : 'FILE') : 'VALUE'}`.padEnd(30)}` +
      `${s.env} / "${s.key}": ${s.help}${s.fallback ? ` (default ${s.fallback})` : ''}`,
  ),
].join('\n');

interface FileValues {
  readonly values: Record<string, unknown>;
  readonly dir: string;
}

function readConfigFile(explicit: string | undefined, cwd: string): FileValues | undefined {
  const file = explicit ? path.resolve(cwd, explicit) : path.join(cwd, CONFIG_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (!explicit && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`config file ${file} is not JSON: ${(err as Error).message}`);
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values))
    throw new UsageError(`config file ${file} must hold a JSON object`);
  const known = new Set<string>(SETTINGS.map((s) => s.key));
  for (const key of Object.keys(values))
    if (!known.has(key))
      throw new UsageError(`config file ${file}: unknown key '${key}' (known: ${[...known].join(', ')})`);
  return { values: values as Record<string, unknown>, dir: path.dirname(file) };
}

function check(setting: Setting, value: string, source: string): string {
  if (setting.kind === 'port') {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65535)
      throw new UsageError(`${source}: ${setting.key} must be a port number, got '${value}'`);
  }
  return value;
}

/**
 * Resolves every setting. `flags` are parseArgs values (only the CONFIG_FLAGS keys are read);
 * paths come back absolute.
 */
export function resolveConfig(
  flags: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): CliConfig {
  const file = readConfigFile((flags.config as string | undefined) ?? env.EFFICIENTBERT_CONFIG, cwd);
  const resolved: Record<string, string | number> = {};
  const pending: Setting[] = [];
  for (const s of SETTINGS) {
    const flag = flags[s.flag];
    const fromFile = file?.values[s.key];
    let value: string | undefined;
    let base = cwd;
    if (typeof flag === 'string') value = check(s, flag, `--${s.flag}`);
    else if (env[s.env] !== undefined && env[s.env] !== '') value = check(s, env[s.env]!, s.env);
    else if (fromFile !== undefined) {
      if (typeof fromFile !== 'string' && typeof fromFile !== 'number')
        throw new UsageError(`config file: ${s.key} must be a string or number`);
      value = check(s, String(fromFile), `config file ${s.key}`);
      base = file!.dir;
    } else if (s.fallback !== undefined) value = s.fallback;
    if (value === undefined) {
      pending.push(s);
      continue;
    }
    if (s.kind === 'port') resolved[s.key] = Number(value);
    else if (s.kind === 'path') resolved[s.key] = value === '' ? '' : path.resolve(base, value);
    else resolved[s.key] = value;
  }
  for (const s of pending) resolved[s.key] = path.join(resolved.stateDir as string, DERIVED[s.key]!);
  return resolved as unknown as CliConfig;
}

/** `host:port` → its parts, for the servers `dev up` starts. */
export function splitAddress(address: string, what: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  const port = Number(address.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535)
    throw new UsageError(`${what} '${address}' is not host:port`, EXIT.usage);
  return { host: address.slice(0, at), port };
}
