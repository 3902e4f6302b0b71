/** amaas.v1 ModelRepositoryService.LoadModel: (re)loads a model or one version, answering once it is READY. */
import { AmaasError } from '../../errors';
import { assertModelVisible, identityOf } from '../../security';
import type { ApiContext } from '../context';
import { unary } from '../unary';
import { WireModelControlRequest, modelAfter, requestedModel } from './model-control-wire';

export function loadModelHandler(ctx: ApiContext) {
  return unary<WireModelControlRequest, ReturnType<typeof modelAfter>>(async (r, call) => {
    const { name, version } = requestedModel(r);
    assertModelVisible(identityOf(call), ctx.registry, name, false);
    if (ctx.drain.draining) throw new AmaasError('AMAAS_ERR_SHUTTING_DOWN', 'the server is shutting down');
    await ctx.registry.loadModel(name, version);
    return modelAfter(ctx.registry, name);
  });
}
