/** amaas.v1 ModelRepositoryService.Rollback: the previous default version (still READY) serves again. */
import { assertModelVisible, identityOf } from '../../security';
import type { ApiContext } from '../context';
import { unary } from '../unary';
import { WireModelControlRequest, modelAfter, requestedModel } from './model-control-wire';

export function rollbackHandler(ctx: ApiContext) {
  return unary<WireModelControlRequest, ReturnType<typeof modelAfter> & { previous_default_version: number }>(async (r, call) => {
    const { name } = requestedModel(r);
    assertModelVisible(identityOf(call), ctx.registry, name);
    const previous = ctx.registry.entry(name).defaultVersion;
    await ctx.registry.rollback(name);
    return { previous_default_version: previous, ...modelAfter(ctx.registry, name) };
  });
}
