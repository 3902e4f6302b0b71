/** RepositoryModelLoad (Triton): (re)loads a model from the repository folder, like amaas.v1 LoadModel; answers once it is loaded. */
import { AmaasError } from '../../errors';
import type { ApiContext } from '../context';
import { assertModelVisible, identityOf } from '../../security';
import type { WireRepositoryModelRequest } from './messages';
import { unary } from '../unary';

export function repositoryModelLoadHandler(ctx: ApiContext) {
  return unary<WireRepositoryModelRequest, Record<string, never>>(async (r, call) => {
    if (!r.model_name) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', 'model_name is required');
    assertModelVisible(identityOf(call), ctx.registry, r.model_name, false);
    if (ctx.drain.draining) throw new AmaasError('AMAAS_ERR_SHUTTING_DOWN', 'the server is shutting down');
    // The same machinery as amaas.v1 LoadModel: a zero-downtime (re)load of what the version_policy selects,
    // failing when no version is READY afterwards.
    await ctx.registry.loadModel(r.model_name);
    return {};
  });
}
