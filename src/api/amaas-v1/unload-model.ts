/** amaas.v1 ModelRepositoryService.UnloadModel: unloads a model or one version after its work is answered. */
import type { ApiContext } from '../context';
import { unary } from '../unary';
import { WireModelControlRequest, modelAfter, requestedModel } from './model-control-wire';

export function unloadModelHandler(ctx: ApiContext) {
  return unary<WireModelControlRequest, ReturnType<typeof modelAfter>>(async (r) => {
    const { name, version } = requestedModel(r);
    await ctx.registry.unloadModel(name, version);
    return modelAfter(ctx.registry, name);
  });
}
