/**
 * TLS credentials from PEM files, for servers (certificate + key, optionally a client CA that makes
 * client certificates mandatory: mutual TLS) and for clients (the CA to trust, optionally a client
 * certificate). Files are read and checked when the configuration is read, so that a missing or
 * wrong file is a one-line error naming the setting and the path, not a failed bind later.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import * as grpc from '@grpc/grpc-js';

/** A TLS or token setting that cannot work: its message names the setting (and the file). */
export class SecurityConfigError extends Error {}

/** A file setting as the user gave it: `label` is how they set it ("--tls-cert", an env var). */
export interface FileSetting {
  readonly label: string;
  readonly path: string;
}

export interface ServerTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Set: clients must present a certificate signed by this CA. */
  readonly clientCa?: Buffer;
}

export interface ClientTls {
  /** Unset: the system's roots. */
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export function readSettingFile(setting: FileSetting): Buffer {
  try {
    return readFileSync(setting.path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SecurityConfigError(
      `${setting.label}: cannot read ${setting.path} (${code ?? (err as Error).message})`,
    );
  }
}

/** Node's own TLS parser checks the PEM files together (a key that does not match its certificate). */
function checkPem(options: { cert?: Buffer; key?: Buffer; ca?: Buffer }, what: string): void {
  try {
    createSecureContext(options);
  } catch (err) {
    throw new SecurityConfigError(`${what}: ${(err as Error).message}`);
  }
}

function pairLabel(cert: FileSetting, key: FileSetting): string {
  return `${cert.label} ${cert.path} / ${key.label} ${key.path}`;
}

/** Server TLS from its files; undefined when neither certificate nor key is set. */
export function loadServerTls(files: {
  cert?: FileSetting;
  key?: FileSetting;
  clientCa?: FileSetting;
}): ServerTls | undefined {
  const { cert, key, clientCa } = files;
  if (!cert && !key) {
    if (clientCa)
      throw new SecurityConfigError(`${clientCa.label} needs a server certificate and key as well`);
    return undefined;
  }
  if (!cert || !key)
    throw new SecurityConfigError(
      `${(cert ?? key)!.label} needs its pair: set both the certificate and the key`,
    );
  const tls: ServerTls = {
    cert: readSettingFile(cert),
    key: readSettingFile(key),
    ...(clientCa ? { clientCa: readSettingFile(clientCa) } : {}),
  };
  checkPem({ cert: tls.cert, key: tls.key }, pairLabel(cert, key));
  if (clientCa) checkPem({ ca: tls.clientCa! }, `${clientCa.label} ${clientCa.path}`);
  return tls;
}

/** Client TLS from its files; undefined (plaintext) when none is set. */
export function loadClientTls(files: {
  ca?: FileSetting;
  cert?: FileSetting;
  key?: FileSetting;
}): ClientTls | undefined {
  const { ca, cert, key } = files;
  if (!ca && !cert && !key) return undefined;
  if (!cert !== !key)
    throw new SecurityConfigError(
      `${(cert ?? key)!.label} needs its pair: set both the certificate and the key`,
    );
  const tls: ClientTls = {
    ...(ca ? { ca: readSettingFile(ca) } : {}),
    ...(cert && key ? { cert: readSettingFile(cert), key: readSettingFile(key) } : {}),
  };
  if (ca) checkPem({ ca: tls.ca! }, `${ca.label} ${ca.path}`);
  if (cert && key) checkPem({ cert: tls.cert!, key: tls.key! }, pairLabel(cert, key));
  return tls;
}

export function serverCredentials(tls: ServerTls | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(
    tls.clientCa ?? null,
    [{ cert_chain: tls.cert, private_key: tls.key }],
    tls.clientCa !== undefined,
  );
}

export function channelCredentials(tls: ClientTls | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);
}
