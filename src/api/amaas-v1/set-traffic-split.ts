/** amaas.v1 ModelRepositoryService.SetTrafficSplit: the canary split of requests that name no version. */
import { trafficSplitOf } from '../../config/traffic-schema';
import { AmaasError } from '../../errors';
import { assertModelVisible, identityOf } from '../../security';
import type { ApiContext } from '../context';
import { unary } from '../unary';
import type { WireTrafficShare } from './messages';
import { modelAfter, requestedModel } from './model-control-wire';

interface WireSetTrafficSplitRequest {
  model_name: string;
  shares?: WireTrafficShare[];
}

export function setTrafficSplitHandler(ctx: ApiContext) {
  return unary<WireSetTrafficSplitRequest, ReturnType<typeof modelAfter>>(async (r, call) => {
    const { name } = requestedModel(r);
    assertModelVisible(identityOf(call), ctx.registry, name);
    const shares = (r.shares ?? []).map((s) => {
      const version = Number(s.version);
      if (!Number.isSafeInteger(version) || version < 1) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `shares: version must be a version number, not ${s.version}`);
      return [version, Number(s.percent)] as const;
    });
    await ctx.registry.setTrafficSplit(name, trafficSplitOf(shares));
    return modelAfter(ctx.registry, name);
  });
}
