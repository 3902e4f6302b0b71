/**
 * Per-model authorization, the one check every handler that names a model makes (through the service or
 * directly), with the caller's Identity from the gate. With auth on, a model outside the tenant's patterns
 * and a model that does not exist get the same PERMISSION_DENIED and the same message, so a tenant cannot
 * learn which names exist (AIP-211). With auth off (method 'none', or no identity at all: in-process callers)
 * nothing is checked here and the registry's own NOT_FOUND answers stay as they are.
 */
import { AmaasError } from '../errors';
import type { Identity } from './types';

/** What the check needs of the registry: whether a model of that name exists. */
export interface ModelLookup {
  get(name: string): unknown;
}

/** Whether this identity is subject to per-model checks (false when auth is off). */
export function isRestricted(identity: Identity | undefined): identity is Identity {
  return identity !== undefined && identity.method !== 'none';
}

/** One message for both cases, without the name either, so the answer is byte-for-byte the same. */
export const MODEL_DENIED_MESSAGE = 'no such model, or this caller may not use it';

export function modelDenied(): AmaasError {
  return new AmaasError('AMAAS_ERR_PERMISSION_DENIED', MODEL_DENIED_MESSAGE);
}

/**
 * Throws AMAAS_ERR_PERMISSION_DENIED when auth is on and the model is outside the caller's patterns or does
 * not exist. `mustExist` false is for LoadModel, which may load a model folder the registry has not seen yet:
 * then only the patterns are checked (the load itself reports a missing folder, to an admin it covers).
 */
export function assertModelVisible(identity: Identity | undefined, registry: ModelLookup, name: string, mustExist = true): void {
  if (!isRestricted(identity)) return;
  if (!identity.canUse(name) || (mustExist && registry.get(name) === undefined)) throw modelDenied();
}

/** The entries of a listing (ListModels, RepositoryIndex, ModelStatistics) this caller may see. */
export function visibleModels<T extends { readonly name: string }>(identity: Identity | undefined, entries: readonly T[]): T[] {
  if (!isRestricted(identity)) return [...entries];
  return entries.filter((e) => identity.canUse(e.name));
}
