/**
 * The TLS and token settings of a server, read from wherever the service reads its configuration
 * (flags, environment): every service names them the same way (`tls-cert`, `auth-token-file`, ...)
 * and gets the same checks and the same one-line errors. Tokens come from a file or an environment
 * variable, never from a command-line flag: argv is visible to every user in `ps`.
 */
import type { AuthTokens } from './auth';
import { Secret } from './secret';
import { type FileSetting, loadServerTls, readSettingFile, SecurityConfigError, type ServerTls } from './tls';

export interface ServerSecurity {
  /** Unset: plaintext. */
  readonly tls?: ServerTls;
  /** Unset: no authentication. */
  readonly auth?: AuthTokens;
}

/** Settings that may be flags (paths only). */
export const SECURITY_FILE_OPTIONS = [
  'tls-cert',
  'tls-key',
  'tls-client-ca',
  'auth-token-file',
  'read-only-token-file',
] as const;
/** Settings read only from the environment (the token values themselves). */
export const SECURITY_VALUE_OPTIONS = ['auth-token', 'read-only-token'] as const;

export type SecurityOption = (typeof SECURITY_FILE_OPTIONS)[number] | (typeof SECURITY_VALUE_OPTIONS)[number];

/** A setting's value and how the user set it ("--tls-cert", "SEARCH_TLS_CERT"), or undefined. */
export type SecurityLookup = (
  option: SecurityOption,
) => { readonly label: string; readonly value: string } | undefined;

export const SECURITY_USAGE = `  --tls-cert FILE                  PEM server certificate (chain): serve TLS
  --tls-key FILE                   PEM private key of --tls-cert
  --tls-client-ca FILE             PEM CA: require client certificates signed by it (mutual TLS)
  --auth-token-file FILE           read-write bearer token (or the variable *_AUTH_TOKEN)
  --read-only-token-file FILE      read-only bearer token (or the variable *_READ_ONLY_TOKEN)`;

/** A token from its value or its file (one line; surrounding whitespace dropped). */
export function readToken(
  value: { label: string; value: string } | undefined,
  file: FileSetting | undefined,
): Secret | undefined {
  if (value && file) throw new SecurityConfigError(`set ${value.label} or ${file.label}, not both`);
  const text = value ? value.value : file ? readSettingFile(file).toString('utf8') : undefined;
  if (text === undefined) return undefined;
  const token = text.trim();
  const where = value ? value.label : `${file!.label} ${file!.path}`;
  if (token === '') throw new SecurityConfigError(`${where}: the token is empty`);
  if (/\s/.test(token)) throw new SecurityConfigError(`${where}: the token must not contain whitespace`);
  return new Secret(token);
}

export function readServerSecurity(lookup: SecurityLookup): ServerSecurity {
  const file = (option: SecurityOption): FileSetting | undefined => {
    const found = lookup(option);
    return found && { label: found.label, path: found.value };
  };
  const tls = loadServerTls({
    cert: file('tls-cert'),
    key: file('tls-key'),
    clientCa: file('tls-client-ca'),
  });
  const readWrite = readToken(lookup('auth-token'), file('auth-token-file'));
  const readOnly = readToken(lookup('read-only-token'), file('read-only-token-file'));
  if (readOnly && !readWrite)
    throw new SecurityConfigError('a read-only token needs a read-write token as well (auth-token)');
  if (readOnly && readWrite && readOnly.reveal() === readWrite.reveal())
    throw new SecurityConfigError('the read-only token must differ from the read-write token');
  return {
    ...(tls ? { tls } : {}),
    ...(readWrite ? { auth: { readWrite, ...(readOnly ? { readOnly } : {}) } } : {}),
  };
}

/** How a server serves, for its start-up line: never the tokens themselves. */
export function describeSecurity(security: ServerSecurity): string {
  const transport = security.tls ? (security.tls.clientCa ? 'mutual TLS' : 'TLS') : 'plaintext';
  const auth = security.auth
    ? `bearer tokens (${security.auth.readOnly ? 'read-write, read-only' : 'read-write'})`
    : 'no auth';
  return `${transport}, ${auth}`;
}

/** The lookup of a service configured by environment variables only: `${prefix}TLS_CERT`, ... */
export function environmentLookup(prefix: string, env: NodeJS.ProcessEnv): SecurityLookup {
  return (option) => {
    const name = `${prefix}${option.toUpperCase().replace(/-/g, '_')}`;
    const value = env[name];
    return value === undefined || value === '' ? undefined : { label: name, value };
  };
}
