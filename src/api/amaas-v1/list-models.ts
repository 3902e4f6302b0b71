/** amaas.v1 ListModels: every model with its versions, default version and the default version's tensors. */
import type * as grpc from '@grpc/grpc-js';
import type { ApiContext } from '../context';
import type { WireModelMetadata } from './messages';
import { toModelMetadata } from './model-metadata-wire';

export function listModelsHandler(ctx: ApiContext): grpc.handleUnaryCall<unknown, { models: WireModelMetadata[] }> {
  return (_call, callback) => {
    callback(null, { models: ctx.registry.list().map((entry) => toModelMetadata(entry, entry.defaultVersion)) });
  };
}
