/** amaas.v1 ModelRepositoryService.UnloadModel: unloads a model or one version after its work is answered. */
import { assertModelVisible, identityOf } from '../../security';
import type { ApiContext } from '../context';
import { unary } from '../unary';
import { WireModelControlRequest, modelAfter, requestedModel } from './model-control-wire';

export function unloadModelHandler(ctx: ApiContext) {
  return unary<WireModelControlRequest, ReturnType<typeof modelAfter>>(async (r, call) => {
    const { name, version } = requestedModel(r);
    assertModelVisible(identityOf(call), ctx.registry, name);
    await ctx.registry.unloadModel(name, version);
    return modelAfter(ctx.registry, name);
  });
}
