/** RepositoryModelUnload (Triton): unloads every version of a model once its queued and running work is done. */
import { AmaasError } from '../../errors';
import type { ApiContext } from '../context';
import { assertModelVisible, identityOf } from '../../security';
import type { WireRepositoryModelRequest } from './messages';
import { unary } from '../unary';

export function repositoryModelUnloadHandler(ctx: ApiContext) {
  return unary<WireRepositoryModelRequest, Record<string, never>>(async (r, call) => {
    if (!r.model_name) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', 'model_name is required');
    assertModelVisible(identityOf(call), ctx.registry, r.model_name);
    await ctx.registry.unloadModel(r.model_name);
    return {};
  });
}
