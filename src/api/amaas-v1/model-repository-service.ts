/** amaas.v1.ModelRepositoryService: the handler of every RPC, keyed by RPC name, for grpc.Server.addService. */
import type * as grpc from '@grpc/grpc-js';
import type { ApiContext } from '../context';
import { getUsageHandler } from './get-usage';
import { loadModelHandler } from './load-model';
import { rollbackHandler } from './rollback';
import { setDefaultVersionHandler } from './set-default-version';
import { setTrafficSplitHandler } from './set-traffic-split';
import { unloadModelHandler } from './unload-model';

export function modelRepositoryServiceHandlers(ctx: ApiContext): grpc.UntypedServiceImplementation {
  return {
    LoadModel: loadModelHandler(ctx),
    UnloadModel: unloadModelHandler(ctx),
    SetDefaultVersion: setDefaultVersionHandler(ctx),
    Rollback: rollbackHandler(ctx),
    GetUsage: getUsageHandler(ctx),
    SetTrafficSplit: setTrafficSplitHandler(ctx),
  } as grpc.UntypedServiceImplementation;
}
