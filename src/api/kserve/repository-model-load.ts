/** RepositoryModelLoad (Triton): (re)loads a model from the repository folder; answers once it is loaded. */
import { AmaasError } from '../../errors';
import type { ApiContext } from '../context';
import type { WireRepositoryModelRequest } from './messages';
import { unary } from '../unary';

export function repositoryModelLoadHandler(ctx: ApiContext) {
  return unary<WireRepositoryModelRequest, Record<string, never>>(async (r) => {
    if (!r.model_name) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', 'model_name is required');
    if (ctx.drain.draining) throw new AmaasError('AMAAS_ERR_SHUTTING_DOWN', 'the server is shutting down');
    await ctx.registry.loadModel(r.model_name);
    const entry = ctx.registry.entry(r.model_name);
    if (entry.defaultVersion === 0) {
      const reasons = entry.sortedVersions.map((v) => `version ${v.version}: ${v.reason || v.state}`).join('; ');
      throw new AmaasError('AMAAS_ERR_MODEL_LOAD_FAILED', `model '${r.model_name}' loaded no ready version (${reasons || 'no version folders'})`);
    }
    return {};
  });
}
