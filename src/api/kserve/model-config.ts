/** ModelConfig (Triton): the minimal configuration of a ready model version. */
import type { ApiContext } from '../context';
import { assertModelVisible, identityOf } from '../../security';
import type { WireNameVersion } from './messages';
import { modelConfig } from './metadata-wire';
import { parseVersionString } from './infer-wire';
import { unary } from '../unary';

export function modelConfigHandler(ctx: ApiContext) {
  return unary<WireNameVersion, { config: ReturnType<typeof modelConfig> }>((r, call) => {
    if (r.name) assertModelVisible(identityOf(call), ctx.registry, r.name);
    return { config: modelConfig(ctx.registry, r.name, parseVersionString(r.version)) };
  });
}
