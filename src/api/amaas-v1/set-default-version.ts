/** amaas.v1 ModelRepositoryService.SetDefaultVersion: pins (or, with 0, unpins) the default version. */
import { assertModelVisible, identityOf } from '../../security';
import type { ApiContext } from '../context';
import { unary } from '../unary';
import { WireModelControlRequest, modelAfter, requestedModel } from './model-control-wire';

export function setDefaultVersionHandler(ctx: ApiContext) {
  return unary<WireModelControlRequest, ReturnType<typeof modelAfter>>(async (r, call) => {
    const { name, version } = requestedModel(r);
    assertModelVisible(identityOf(call), ctx.registry, name);
    await ctx.registry.setDefaultVersion(name, version);
    return modelAfter(ctx.registry, name);
  });
}
