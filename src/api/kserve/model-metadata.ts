/** ModelMetadata: a ready model version's tensors (the default version when none is named). */
import type { ApiContext } from '../context';
import { assertModelVisible, identityOf } from '../../security';
import type { WireModelMetadataResponse, WireNameVersion } from './messages';
import { modelMetadata } from './metadata-wire';
import { parseVersionString } from './infer-wire';
import { unary } from '../unary';

export function modelMetadataHandler(ctx: ApiContext) {
  return unary<WireNameVersion, WireModelMetadataResponse>((r, call) => {
    if (r.name) assertModelVisible(identityOf(call), ctx.registry, r.name);
    return modelMetadata(ctx.registry, r.name, parseVersionString(r.version));
  });
}
