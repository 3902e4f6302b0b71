/**
 * The composition root: builds the registry, the data plane and the gRPC server from a frozen config, and
 * owns the order of startup and shutdown. Nothing else wires modules together.
 */
import * as grpc from '@grpc/grpc-js';
import { batchPredictHandler } from './api/amaas-v1/batch-predict';
import { getModelMetadataHandler } from './api/amaas-v1/get-model-metadata';
import { listModelsHandler } from './api/amaas-v1/list-models';
import { predictHandler } from './api/amaas-v1/predict';
import type { ApiContext } from './api/context';
import { DrainState } from './api/drain';
import { amaasV1Service } from './api/protos';
import type { ServerConfig } from './config/schema';
import { createLogger } from './logging';
import { ModelRegistry } from './repository/model-registry';
import { InferenceService } from './service/inference-service';

const log = createLogger('server');

export interface AmaasServer {
  /** host:port actually bound (the port is real even when the config asked for 0). */
  readonly address: string;
  readonly port: number;
  readonly registry: ModelRegistry;
  /**
   * Stops accepting calls, lets in-flight ones finish (cancelling what remains after drain_timeout_ms),
   * then stops every worker pool. Safe to call more than once.
   */
  shutdown(): Promise<void>;
}

export async function startServer(config: ServerConfig): Promise<AmaasServer> {
  const started = process.hrtime.bigint();
  const registry = new ModelRegistry();
  await registry.loadRepository(config.modelRepository);

  const drain = new DrainState();
  const ctx: ApiContext = { service: new InferenceService(registry), registry, config, drain };
  const grpcServer = new grpc.Server({
    'grpc.max_receive_message_length': config.maxMessageBytes,
    'grpc.max_send_message_length': config.maxMessageBytes,
  });
  grpcServer.addService(amaasV1Service().service, {
    Predict: predictHandler(ctx),
    BatchPredict: batchPredictHandler(ctx),
    ListModels: listModelsHandler(ctx),
    GetModelMetadata: getModelMetadataHandler(ctx),
  });

  const port = await new Promise<number>((resolve, reject) => {
    grpcServer.bindAsync(`${config.host}:${config.port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  });
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const address = `${host}:${port}`;
  log.info('serving', {
    address,
    models: registry.list().length,
    startup_ms: Number((process.hrtime.bigint() - started) / 1_000_000n),
  });

  let stopping: Promise<void> | null = null;
  const shutdown = () => {
    stopping ??= (async () => {
      log.info('draining', { timeout_ms: config.drainTimeoutMs });
      drain.begin();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          log.warn('drain timeout passed; cancelling the calls still running');
          grpcServer.forceShutdown();
          resolve();
        }, config.drainTimeoutMs);
        grpcServer.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      await registry.unloadAll();
      log.info('stopped');
    })();
    return stopping;
  };

  return { address, port, registry, shutdown };
}
