/** Shared by the ModelRepositoryService handlers: request fields and the model as it stands afterwards. */
import { AmaasError } from '../../errors';
import type { ModelRegistry } from '../../repository/model-registry';
import type { WireModelMetadata } from './messages';
import { toModelMetadata } from './model-metadata-wire';

export interface WireModelControlRequest {
  model_name: string;
  /** int64 arrives as a string (proto-loader longs: String). */
  model_version?: string | number;
}

export function requestedModel(r: WireModelControlRequest): { name: string; version: number } {
  if (!r.model_name) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', 'model_name is required');
  const version = Number(r.model_version ?? 0);
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `model_version must be 0 or a positive version number, not ${r.model_version}`);
  }
  return { name: r.model_name, version };
}

/** The model's metadata at its default version (what ListModels shows for it). */
export function modelAfter(registry: ModelRegistry, name: string): { metadata: WireModelMetadata } {
  const entry = registry.entry(name);
  return { metadata: toModelMetadata(entry, entry.defaultVersion) };
}
