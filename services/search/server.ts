/**
 * The Search gateway's gRPC server: efficientbert.v1.Search over the Temporal client, health and
 * reflection. Health follows Temporal: SERVING while it answers (probed every 2 s), NOT_SERVING
 * while it does not and once the server is closing.
 */
import type * as grpc from '@grpc/grpc-js';
import { Health } from '../grpc/health';
import { serviceDefinition } from '../grpc/protos';
import { addReflection } from '../grpc/reflection';
import type { ServerSecurity } from '../grpc/security-config';
import { createServer, listen } from '../grpc/server';
import { SearchGateway, type SearchServiceOptions } from './gateway';
import { searchHandlers } from './handlers';
import { loadSearchProtos, SEARCH_SERVICE } from './protos';
import { teacherImportHandlers } from './teacher-import';
import { uploadHandlers } from './upload';

const HEALTH_PROBE_MS = 2000;

/** What the read-only token may not call: everything that starts or changes a search. */
// UploadArtifact and ImportTeacher write the store: a read-only caller must not fill it.
const WRITE_METHODS = [
  'StartSearch',
  'PauseSearch',
  'ResumeSearch',
  'CancelSearch',
  'SetParallelism',
  'UploadArtifact',
  'ImportTeacher',
].map((m) => `/${SEARCH_SERVICE}/${m}`);

export interface RunningSearchServer {
  readonly port: number;
  readonly server: grpc.Server;
  readonly gateway: SearchGateway;
  close(): Promise<void>;
}

/**
 * Probes Temporal until stopped and sets the health to what it finds. The stop waits for a probe
 * in flight, so that no connection it opens outlives the gateway's close.
 */
function followTemporal(gateway: SearchGateway, health: Health): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let probing: Promise<void> = Promise.resolve();
  const probe = () => {
    probing = gateway.reachable().then((ok) => {
      if (stopped) return;
      health.setAll(ok ? 'SERVING' : 'NOT_SERVING');
      timer = setTimeout(probe, HEALTH_PROBE_MS).unref();
    });
  };
  probe();
  return () => {
    stopped = true;
    clearTimeout(timer);
    return probing;
  };
}

export async function startSearchServer(
  options: SearchServiceOptions & {
    host?: string;
    port?: number;
    security?: ServerSecurity;
    log?: (message: string) => void;
  },
): Promise<RunningSearchServer> {
  // The gateway gets its own options only: nothing of the server's security can reach a workflow.
  const {
    host = '127.0.0.1',
    port: wanted = 0,
    security = {},
    log = console.error,
    ...gatewayOptions
  } = options;
  const definition = loadSearchProtos();
  const gateway = new SearchGateway(gatewayOptions);
  const server = createServer({}, security, WRITE_METHODS);
  server.addService(serviceDefinition(definition, SEARCH_SERVICE), {
    ...searchHandlers(gateway),
    ...uploadHandlers(gateway.store),
    ...teacherImportHandlers(gateway.store),
  });
  // NOT_SERVING until the first probe has reached Temporal.
  const health = new Health([SEARCH_SERVICE], 'NOT_SERVING');
  health.addTo(server);
  addReflection(server, definition);
  const port = await listen(server, host, wanted, security, log);
  const stopProbing = followTemporal(gateway, health);
  return {
    port,
    server,
    gateway,
    close: async () => {
      await stopProbing();
      health.setAll('NOT_SERVING');
      health.endWatches();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      await gateway.close();
    },
  };
}
