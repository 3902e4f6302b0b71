/** amaas.v1 ListModels: every model the caller may see, with its versions, default version and the default version's tensors. */
import type * as grpc from '@grpc/grpc-js';
import { identityOf, visibleModels } from '../../security';
import type { ApiContext } from '../context';
import type { WireModelMetadata } from './messages';
import { toModelMetadata } from './model-metadata-wire';

export function listModelsHandler(ctx: ApiContext): grpc.handleUnaryCall<unknown, { models: WireModelMetadata[] }> {
  return (call, callback) => {
    callback(null, { models: visibleModels(identityOf(call), ctx.registry.list()).map((entry) => toModelMetadata(entry, entry.defaultVersion)) });
  };
}
