/** amaas.v1 GetModelMetadata: one model, at its default version or the version asked for. */
import type * as grpc from '@grpc/grpc-js';
import { AmaasError } from '../../errors';
import type { ApiContext } from '../context';
import { assertModelVisible, identityOf } from '../../security';
import { versionNotFound } from '../../repository/serving-version';
import { toServiceError } from '../status-map';
import type { WireGetModelMetadataRequest, WireModelMetadata } from './messages';
import { toModelMetadata } from './model-metadata-wire';
import { parseVersion } from './tensor-wire';

export function getModelMetadataHandler(
  ctx: ApiContext,
): grpc.handleUnaryCall<WireGetModelMetadataRequest, { metadata: WireModelMetadata }> {
  return (call, callback) => {
    try {
      if (!call.request.model_name) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', 'model_name is required');
      assertModelVisible(identityOf(call), ctx.registry, call.request.model_name);
      const entry = ctx.registry.entry(call.request.model_name);
      const version = parseVersion(call.request.model_version);
      if (version !== 0 && !entry.versions.has(version)) throw versionNotFound(entry.name, version, entry.sortedVersions.map((v) => v.version));
      callback(null, { metadata: toModelMetadata(entry, version || entry.defaultVersion) });
    } catch (err) {
      callback(toServiceError(err));
    }
  };
}
