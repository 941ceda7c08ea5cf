/**
 * The Search gRPC service. Environment: SEARCH_HOST (127.0.0.1), SEARCH_PORT (50052),
 * TEMPORAL_ADDRESS (127.0.0.1:7233), TEMPORAL_NAMESPACE (default), EFFICIENTBERT_ARTIFACTS (the
 * workers' artifact store, where UploadArtifact puts datasets and ImportTeacher teachers;
 * ./.efficientbert/artifacts), and for TLS and auth SEARCH_TLS_CERT, SEARCH_TLS_KEY,
 * SEARCH_TLS_CLIENT_CA (PEM files), SEARCH_AUTH_TOKEN or SEARCH_AUTH_TOKEN_FILE (read-write),
 * SEARCH_READ_ONLY_TOKEN or SEARCH_READ_ONLY_TOKEN_FILE.
 */
import {
  describeSecurity,
  environmentLookup,
  readServerSecurity,
  type ServerSecurity,
} from '../grpc/security-config';
import { startSearchServer } from './server';

let security: ServerSecurity;
try {
  security = readServerSecurity(environmentLookup('SEARCH_', process.env));
} catch (err) {
  // A configuration mistake: one line naming the setting, no stack trace.
  console.error(`[search] ${(err as Error).message}`);
  process.exit(2);
}

(async () => {
  const running = await startSearchServer({
    host: process.env.SEARCH_HOST ?? '127.0.0.1',
    port: Number(process.env.SEARCH_PORT ?? 50052),
    temporalAddress: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    security,
    log: (m) => console.error(`[search] ${m}`),
  });
  console.log(
    `[search] efficientbert.v1.Search listening on port ${running.port} (${describeSecurity(security)})`,
  );
  const stop = () => {
    running.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
})().catch((err) => {
  console.error('[search] fatal:', err);
  process.exit(1);
});
