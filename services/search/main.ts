/**
 * The Search gRPC service. Environment: SEARCH_HOST (127.0.0.1), SEARCH_PORT (50052),
 * TEMPORAL_ADDRESS (127.0.0.1:7233), TEMPORAL_NAMESPACE (default), EFFICIENTBERT_ARTIFACTS (the
 * workers' artifact store, where UploadArtifact puts datasets; ./.efficientbert/artifacts).
 */
import { startSearchServer } from './server';

(async () => {
  const running = await startSearchServer({
    host: process.env.SEARCH_HOST ?? '127.0.0.1',
    port: Number(process.env.SEARCH_PORT ?? 50052),
    temporalAddress: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
  });
  console.log(`[search] efficientbert.v1.Search listening on port ${running.port}`);
  const stop = () => {
    running.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
})().catch((err) => {
  console.error('[search] fatal:', err);
  process.exit(1);
});
