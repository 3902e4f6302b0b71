/**
 * The composition root: builds the registry, the data plane and the gRPC server from a frozen config, and
 * owns the order of startup and shutdown. Nothing else wires modules together.
 */
import * as grpc from '@grpc/grpc-js';
import { batchPredictHandler } from './api/amaas-v1/batch-predict';
import { getModelMetadataHandler } from './api/amaas-v1/get-model-metadata';
import { listModelsHandler } from './api/amaas-v1/list-models';
import { modelRepositoryServiceHandlers } from './api/amaas-v1/model-repository-service';
import { predictHandler } from './api/amaas-v1/predict';
import type { ApiContext } from './api/context';
import { DrainState } from './api/drain';
import { grantFlowControlWindows } from './api/flow-control';
import { NOTICE_BOUND_MS, StreamTracker, goAwayGracefully } from './api/graceful-goaway';
import { healthServiceHandlers } from './api/health';
import { HealthStatus } from './api/health/health-status';
import { HttpBinding, startHttpBinding } from './api/http/http-server';
import { inferenceServiceHandlers } from './api/kserve';
import { amaasV1Service, healthService, inferenceService, modelRepositoryService } from './api/protos';
import { withDirectResponseEncoding } from './api/direct-encoding';
import { withDirectRequestDecoding } from './api/wire-decoder';
import { addReflection } from './api/reflection';
import type { ServerConfig } from './config/schema';
import { AccessLog } from './observability';
import { createLogger } from './observability/logging';
import { ModelRegistry } from './repository/model-registry';
import { loadMasterKey } from './repository/model-key';
import { RepositoryPoller, startRepositoryPoller } from './repository/repository-poller';
import { Security, assertSafeBinding, createSecurity, createTlsServerCredentials } from './security';
import { InferenceService } from './service/inference-service';
import { Tenancy } from './tenancy';
import { applyHeapGrowth } from './runtime/heap-growth';
import { MetricsServer, createServerMetrics, createTracing, registerTenantUsageMetrics } from './observability';

const log = createLogger('server');

export interface AmaasServer {
  /** host:port actually bound (the port is real even when the config asked for 0). */
  readonly address: string;
  readonly port: number;
  /** Port of the HTTP/REST binding; null when http_port is not set. */
  readonly httpPort: number | null;
  /** Port of the Prometheus endpoint (GET /metrics); null when metrics_port is not set. */
  readonly metricsPort: number | null;
  readonly registry: ModelRegistry;
  /** The security layer (tests wait on its tenants watcher's reloads). */
  readonly security: Security;
  /** True once the shutdown delay is over and the server drains. */
  readonly draining: boolean;
  /**
   * Turns health NOT_SERVING at once, keeps serving for shutdown_delay_ms when `delay` is set (SIGTERM), then
   * sends GOAWAY gracefully, lets in-flight calls finish (cancelling what remains after drain_timeout_ms) and
   * stops every worker pool. Safe to call more than once; a call without `delay` cuts a delay in progress short.
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
}

export interface ShutdownOptions {
  /** Wait shutdown_delay_ms, NOT_SERVING but serving, before draining (the CLI's first SIGTERM). Default: no. */
  readonly delay?: boolean;
}

export async function startServer(config: ServerConfig): Promise<AmaasServer> {
  const started = process.hrtime.bigint();
  // Before any request bytes arrive: Buffer memory counts toward V8's full-collection limit (heap-growth.ts).
  applyHeapGrowth(config.gcHeapGrowingPercent);
  // Secure by default: no auth on a non-loopback host stops startup here, before anything is loaded.
  assertSafeBinding(config);
  // tls.* set: TLS (mTLS with client_ca_file) from files checked here, before anything loads, and reloaded when
  // they change while the port serves; a bad file stops startup, never falling back to clear text.
  const tls = config.tls ? createTlsServerCredentials(config.tls) : null;
  // The tenants file is read (a broken one stops startup) and watched; the gate runs in front of every call.
  // metrics_port set: one prom-client registry for this server, fed through hooks (none when metrics are off).
  const metrics = config.metricsPort === null ? null : createServerMetrics();
  const security: Security = createSecurity(config, metrics?.securityHooks);
  // tracing.otlp_endpoint set: this server's own tracer provider; it adds each batch's span to the registry's hooks.
  const tracing = createTracing(config.tracing);
  const registry = new ModelRegistry(tracing ? tracing.modelHooks(metrics?.modelHooks) : metrics?.modelHooks, { modelKey: loadMasterKey(config.modelKeys) });
  metrics?.watch(registry);
  // explicit: only the models named in load_model at start; none and poll: what each version_policy selects.
  try {
    await registry.loadRepository(config.modelRepository, config.modelControlMode === 'explicit' ? config.loadModels : null);
  } catch (err) {
    await security.close();
    throw err;
  }

  const drain = new DrainState();
  // Per-tenant limits and usage (src/tenancy/): the tenants file's tenants, or the implicit `default` of the config.
  const tenancy = new Tenancy({ policy: security.tenants ? () => security.tenants!.current() : null, defaults: config });
  if (metrics) registerTenantUsageMetrics(metrics.registry, () => tenancy.usage.snapshot());
  const ctx: ApiContext = { service: new InferenceService(registry, undefined, metrics?.observer ?? null, tenancy), registry, config, drain, security, accessLog: new AccessLog(config.accessLog), tracing };
  metrics?.watchCaches(ctx.service.caches);
  const grpcServer = new grpc.Server({
    interceptors: security.interceptors,
    // channelz (grpc-js's per-call and per-socket counters, on by default) serves nothing here: amaas registers no
    // channelz service, and its handler was ~3.7 % of the gRPC thread at 64 calls in flight (perf, issue 16).
    'grpc.enable_channelz': 0,
    'grpc.max_receive_message_length': config.maxMessageBytes,
    'grpc.max_send_message_length': config.maxMessageBytes,
    // Connection ageing (off unless configured), so long-lived client connections move to new replicas.
    ...(config.maxConnectionAgeMs === null ? {} : { 'grpc.max_connection_age_ms': config.maxConnectionAgeMs }),
    ...(config.maxConnectionAgeGraceMs === null ? {} : { 'grpc.max_connection_age_grace_ms': config.maxConnectionAgeGraceMs }),
  });
  // Inference requests and responses skip proto-loader's toObject/fromObject copies (wire-decoder.ts,
  // direct-encoding.ts); the rest keep its (de)serializers.
  const amaasInference = ['Predict', 'BatchPredict'];
  grpcServer.addService(withDirectRequestDecoding(withDirectResponseEncoding(amaasV1Service().service, amaasInference), amaasInference), {
    Predict: predictHandler(ctx),
    BatchPredict: batchPredictHandler(ctx),
    ListModels: listModelsHandler(ctx),
    GetModelMetadata: getModelMetadataHandler(ctx),
  });
  grpcServer.addService(modelRepositoryService().service, modelRepositoryServiceHandlers(ctx));
  // The Open Inference Protocol, grpc.health.v1 and reflection share the port and the data plane with amaas.v1.
  const oipInference = ['ModelInfer', 'ModelStreamInfer'];
  grpcServer.addService(withDirectRequestDecoding(withDirectResponseEncoding(inferenceService().service, oipInference), oipInference), inferenceServiceHandlers(ctx));
  grpcServer.addService(healthService().service, healthServiceHandlers(new HealthStatus(registry, drain), drain));
  addReflection(grpcServer);

  // A start that fails after the models loaded takes down what it started, in reverse order.
  let metricsServer: MetricsServer | null = null;
  const abandonStart = async (err: unknown): Promise<never> => {
    grpcServer.forceShutdown();
    await metricsServer?.close();
    await registry.unloadAll();
    await security.close();
    await tracing?.shutdown();
    throw err;
  };
  let port: number;
  try {
    const credentials = tls?.credentials ?? grpc.ServerCredentials.createInsecure();
    port = await new Promise<number>((resolve, reject) => {
      grpcServer.bindAsync(`${config.host}:${config.port}`, credentials, (err, bound) => (err ? reject(err) : resolve(bound)));
    });
  } catch (err) {
    return abandonStart(err);
  }
  // From the first stream on, so the drain knows which connections have a stream open (graceful-goaway.ts).
  const streams = new StreamTracker(grpcServer);
  // Large requests flow without waiting on the gRPC thread's WINDOW_UPDATEs (flow-control.ts).
  if (!grantFlowControlWindows(grpcServer, { connectionBytes: config.flowControlWindowBytes, streamBytes: config.streamFlowControlWindowBytes })) {
    log.warn('grpc-js internals not found: connections keep HTTP/2\'s 64 KiB flow-control windows');
  }
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const address = `${host}:${port}`;
  let http: HttpBinding | null = null;
  if (config.httpPort !== null) {
    try {
      http = await startHttpBinding(ctx, config.host, config.httpPort);
    } catch (err) {
      return abandonStart(err);
    }
    log.info('http binding serving', { address: `${host}:${http.port}` });
  }
  if (metrics && config.metricsPort !== null) {
    try {
      metricsServer = await metrics.serve(config.host, config.metricsPort, (err) => log.error('metrics collection failed', { error: err.message }));
    } catch (err) {
      return abandonStart(err);
    }
    log.info('metrics serving', { address: `${host}:${metricsServer.port}` });
  }
  const poller: RepositoryPoller | null =
    config.modelControlMode === 'poll' ? startRepositoryPoller(registry, config.repositoryPollSecs * 1000) : null;
  log.info('serving', {
    address,
    model_control_mode: config.modelControlMode,
    tls: tls === null ? 'off' : config.tls?.clientCaFile ? 'mtls' : 'tls',
    ...(tls ? { certificate_sha256: tls.current().fingerprint } : {}),
    models: registry.list().length,
    startup_ms: Number((process.hrtime.bigint() - started) / 1_000_000n),
  });

  let stopping: Promise<void> | null = null;
  let endDelay: (() => void) | null = null;
  const shutdown = (options: ShutdownOptions = {}) => {
    if (!options.delay) endDelay?.();
    stopping ??= (async () => {
      // Balancers and probes see NOT_SERVING at once; calls keep being served until they stop coming.
      drain.markUnready();
      const delayMs = options.delay ? config.shutdownDelayMs : 0;
      if (delayMs > 0) {
        log.info('not serving; draining after the shutdown delay', { shutdown_delay_ms: delayMs });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delayMs);
          endDelay = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        endDelay = null;
      }
      log.info('draining', { timeout_ms: config.drainTimeoutMs });
      drain.begin();
      const pollStopped = poller?.stop() ?? Promise.resolve();
      const httpClosed = http?.close() ?? Promise.resolve();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          log.warn('drain timeout passed; cancelling the calls still running');
          grpcServer.forceShutdown();
          http?.forceClose();
          resolve();
        }, config.drainTimeoutMs);
        // Listeners closed, each connection settled (PING, GOAWAY notice), then the final GOAWAY: no stream already sent is lost.
        const grpcClosed = goAwayGracefully(grpcServer, streams, Math.min(NOTICE_BOUND_MS, config.drainTimeoutMs)).then(({ graceful, connections }) => {
          if (!graceful) log.warn('grpc-js internals not found: closed with tryShutdown, without the GOAWAY notice');
          else log.info('grpc port closed', { connections });
        });
        Promise.all([grpcClosed, httpClosed]).then(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      await pollStopped;
      await registry.unloadAll();
      await security.close();
      // Every call and batch has ended: export the last spans (bounded by TRACE_FLUSH_TIMEOUT_MS).
      await tracing?.shutdown();
      // Last, so Prometheus can still scrape the drain.
      await metricsServer?.close();
      log.info('stopped');
    })();
    return stopping;
  };

  return {
    address,
    port,
    httpPort: http?.port ?? null,
    metricsPort: metricsServer?.port ?? null,
    registry,
    security,
    get draining() {
      return drain.draining;
    },
    shutdown,
  };
}
