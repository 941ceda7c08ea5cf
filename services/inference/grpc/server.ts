/**
 * The inference server: the model manager behind three gRPC services (Open Inference Protocol,
 * efficientbert.v1.Inference, grpc.health.v1) plus server reflection and Prometheus metrics.
 */
import type { Server as HttpServer } from 'node:http';
import { availableParallelism } from 'node:os';
import type * as grpc from '@grpc/grpc-js';
import { openArtifactStore } from '../../../efficientbert/artifacts';
import { rejectMalformed, tolerantServiceDefinition } from '../../grpc/decoding';
import { Health } from '../../grpc/health';
import { serviceDefinition } from '../../grpc/protos';
import { addReflection } from '../../grpc/reflection';
import { describeSecurity } from '../../grpc/security-config';
import { createServer, listen } from '../../grpc/server';
import type { InferenceServerConfig } from '../config';
import { InferenceMetrics, serveMetrics } from '../metrics';
import { type Logger, ModelManager } from '../repository/model-manager';
import { StoreModelCache } from '../repository/store-cache';
import { Admission } from './admission';
import { classifyHandlers } from './classify-service';
import type { InferenceContext } from './inference-call';
import { oipHandlers } from './oip-service';
import { loadPackageDefinition, loadProtoRoot, SERVICE_NAMES } from './protos';

/** What the read-only token may not call: changing which models are served. */
const WRITE_METHODS = ['RepositoryModelLoad', 'RepositoryModelUnload'].map(
  (m) => `/${SERVICE_NAMES.oip}/${m}`,
);

export class InferenceServer {
  private shuttingDown: Promise<void> | null = null;

  private constructor(
    private readonly config: InferenceServerConfig,
    private readonly grpcServer: grpc.Server,
    private readonly metricsServer: HttpServer | null,
    private readonly ctx: InferenceContext,
    private readonly health: Health,
    private readonly log: Logger,
    /** The bound gRPC port. */
    readonly port: number,
    /** The bound metrics port, when metrics are on. */
    readonly metricsPort: number | null,
  ) {}

  static async start(
    config: InferenceServerConfig,
    log: Logger = (m) => console.error(`inference: ${m}`),
  ): Promise<InferenceServer> {
    const metrics = new InferenceMetrics();
    const manager = new ModelManager(
      config.repository,
      {
        providers: config.providers,
        instances: config.instances,
        intraOpThreads: config.intraOpThreads,
        batching: config.batching,
      },
      metrics,
      log,
      config.modelStore === null
        ? undefined
        : new StoreModelCache(openArtifactStore(config.modelStore), config.repository, log),
    );
    const cores = availableParallelism();
    if (config.instances * config.intraOpThreads > cores) {
      log(
        `${config.instances} instances x ${config.intraOpThreads} intra-op threads exceed ${cores} cores: sessions will slow each other`,
      );
    }
    await manager.loadAll();
    if (config.pollIntervalMs > 0) manager.startPolling(config.pollIntervalMs);
    const ctx: InferenceContext = { manager, metrics, admission: new Admission() };

    const definition = loadPackageDefinition();
    const root = loadProtoRoot();
    // Requests that do not decode reach the handlers as MalformedRequest (INVALID_ARGUMENT), not
    // as a deserializer exception (which grpc-js answers with INTERNAL).
    const tolerant = (service: grpc.ServiceDefinition, name: string) =>
      tolerantServiceDefinition(service, root.lookupService(name));
    const service = (name: string) => tolerant(serviceDefinition(definition, name), name);
    const server = createServer(
      {
        'grpc.max_receive_message_length': config.maxReceiveMessageBytes,
        // Channelz bookkeeping (timestamps and counters on every call) serves only a channelz
        // service, which this server does not offer.
        'grpc.enable_channelz': 0,
      },
      config.security,
      WRITE_METHODS,
    );
    // SERVING while the server takes requests, NOT_SERVING once shutdown has begun.
    const health = new Health([SERVICE_NAMES.oip, SERVICE_NAMES.classify], 'SERVING');
    server.addService(service(SERVICE_NAMES.oip), oipHandlers(ctx));
    server.addService(service(SERVICE_NAMES.classify), classifyHandlers(ctx));
    health.addTo(server, (d, impl) => [tolerant(d, SERVICE_NAMES.health), rejectMalformed(d, impl)]);
    addReflection(server, definition);

    const port = await listen(server, config.host, config.port, config.security, log);
    let metricsServer: HttpServer | null = null;
    let metricsPort: number | null = null;
    if (config.metricsPort !== null) {
      ({ server: metricsServer, port: metricsPort } = await serveMetrics(
        metrics,
        config.metricsPort,
        config.host,
      ));
    }
    log(
      `serving gRPC on ${config.host}:${port} (${describeSecurity(config.security)})${metricsPort === null ? '' : `, metrics on ${config.host}:${metricsPort}`}`,
    );
    return new InferenceServer(config, server, metricsServer, ctx, health, log, port, metricsPort);
  }

  get manager(): ModelManager {
    return this.ctx.manager;
  }

  /**
   * Graceful stop: health turns NOT_SERVING and new inference requests are refused (UNAVAILABLE),
   * requests already admitted run to the end, then the listener and the sessions close. After
   * `shutdownTimeoutMs` whatever still runs is cancelled.
   */
  shutdown(): Promise<void> {
    this.shuttingDown ??= this.stop();
    return this.shuttingDown;
  }

  private async stop(): Promise<void> {
    this.log('shutting down');
    this.health.setAll('NOT_SERVING');
    const drained = this.ctx.admission.drain();
    const timeout = new Promise<'timeout'>((resolve) =>
      setTimeout(() => resolve('timeout'), this.config.shutdownTimeoutMs).unref(),
    );
    await new Promise((resolve) => setTimeout(resolve, this.config.shutdownGraceMs));
    if ((await Promise.race([drained, timeout])) === 'timeout')
      this.log('shutdown timeout: cancelling running requests');
    this.health.endWatches();
    await Promise.race([
      new Promise<void>((resolve) => this.grpcServer.tryShutdown(() => resolve())),
      timeout,
    ]);
    this.grpcServer.forceShutdown();
    await this.ctx.manager.close();
    await new Promise<void>((resolve) =>
      this.metricsServer ? this.metricsServer.close(() => resolve()) : resolve(),
    );
    this.log('stopped');
  }
}
