/** inference.GRPCInferenceService: the handler of every RPC, keyed by RPC name, for grpc.Server.addService. */
import type * as grpc from '@grpc/grpc-js';
import type { ApiContext } from '../context';
import { modelConfigHandler } from './model-config';
import { modelInferHandler } from './model-infer';
import { modelMetadataHandler } from './model-metadata';
import { modelReadyHandler } from './model-ready';
import { modelStatisticsHandler } from './model-statistics';
import { modelStreamInferHandler } from './model-stream-infer';
import { repositoryIndexHandler } from './repository-index';
import { repositoryModelLoadHandler } from './repository-model-load';
import { repositoryModelUnloadHandler } from './repository-model-unload';
import { serverLiveHandler } from './server-live';
import { serverMetadataHandler } from './server-metadata';
import { serverReadyHandler } from './server-ready';

export function inferenceServiceHandlers(ctx: ApiContext): grpc.UntypedServiceImplementation {
  return {
    ServerLive: serverLiveHandler(),
    ServerReady: serverReadyHandler(ctx),
    ModelReady: modelReadyHandler(ctx),
    ServerMetadata: serverMetadataHandler(),
    ModelMetadata: modelMetadataHandler(ctx),
    ModelInfer: modelInferHandler(ctx),
    ModelStreamInfer: modelStreamInferHandler(ctx),
    ModelConfig: modelConfigHandler(ctx),
    ModelStatistics: modelStatisticsHandler(ctx),
    RepositoryIndex: repositoryIndexHandler(ctx),
    RepositoryModelLoad: repositoryModelLoadHandler(ctx),
    RepositoryModelUnload: repositoryModelUnloadHandler(ctx),
  } as grpc.UntypedServiceImplementation;
}
