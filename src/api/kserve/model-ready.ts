/** ModelReady: whether a model version (or the model's default version) is READY, and the server not draining. */
import type { ApiContext } from '../context';
import { assertModelVisible, identityOf } from '../../security';
import type { WireNameVersion } from './messages';
import { modelReady } from './metadata-wire';
import { parseVersionString } from './infer-wire';
import { unary } from '../unary';

export function modelReadyHandler(ctx: ApiContext) {
  return unary<WireNameVersion, { ready: boolean }>((r, call) => {
    if (r.name) assertModelVisible(identityOf(call), ctx.registry, r.name);
    return { ready: modelReady(ctx.registry, r.name, parseVersionString(r.version)) && !ctx.drain.unready };
  });
}
