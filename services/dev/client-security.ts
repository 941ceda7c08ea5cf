/**
 * How the CLI's clients (and `dev up`'s health probes) reach the services: TLS from the
 * tlsCa / tlsClientCert / tlsClientKey files, and the read-write token from tokenFile or
 * $EFFICIENTBERT_TOKEN, sent as "authorization: Bearer" metadata with every call.
 */
import type * as grpc from '@grpc/grpc-js';
import { bearerInterceptor } from '../grpc/auth';
import type { Secret } from '../grpc/secret';
import { readToken } from '../grpc/security-config';
import { channelCredentials, type FileSetting, loadClientTls } from '../grpc/tls';
import type { StackSettings } from './stack';

type ClientFiles = Pick<StackSettings, 'tlsCa' | 'tlsClientCert' | 'tlsClientKey' | 'tokenFile'>;

const file = (label: string, value: string): FileSetting | undefined =>
  value ? { label, path: value } : undefined;

/** Channel credentials of the settings; SecurityConfigError names the setting of a bad file. */
export function probeCredentials(s: ClientFiles): grpc.ChannelCredentials {
  return channelCredentials(
    loadClientTls({
      ca: file('--tls-ca', s.tlsCa),
      cert: file('--tls-client-cert', s.tlsClientCert),
      key: file('--tls-client-key', s.tlsClientKey),
    }),
  );
}

export function clientToken(s: ClientFiles, env: NodeJS.ProcessEnv = process.env): Secret | undefined {
  const value = env.EFFICIENTBERT_TOKEN
    ? { label: 'EFFICIENTBERT_TOKEN', value: env.EFFICIENTBERT_TOKEN }
    : undefined;
  // A token file set explicitly wins over the variable (as flags win over variables elsewhere).
  return readToken(s.tokenFile ? undefined : value, file('--token-file', s.tokenFile));
}

/** Credentials and interceptors of a CLI client. */
export function clientSecurity(s: ClientFiles): {
  credentials: grpc.ChannelCredentials;
  options: grpc.ClientOptions;
} {
  const token = clientToken(s);
  return {
    credentials: probeCredentials(s),
    options: token ? { interceptors: [bearerInterceptor(token)] } : {},
  };
}
