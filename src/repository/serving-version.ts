/**
 * Which loaded version answers a request: the routing table read, kept apart from the registry's lifecycle
 * (loads, unloads, rollbacks) that writes it. Only a READY version is ever returned.
 */
import type { TrafficSplit } from '../config/traffic-schema';
import { AmaasError } from '../errors';
import { listed, quoted } from '../errors-format';
import type { ModelEntry } from './model-entry';
import { ServingVersion, unavailableError } from './model-version';
import { drawVersion } from './traffic-split';

/** VERSION_NOT_FOUND for a version the model does not have, listing those it has. */
export function versionNotFound(model: string, version: number, versions: readonly number[], what = 'version'): AmaasError {
  return new AmaasError('AMAAS_ERR_VERSION_NOT_FOUND', `model ${quoted(model)} has no ${what} ${version} (versions: ${listed(versions)})`);
}

/**
 * The READY version of `entry` that serves (version 0: the default, or with `split` a draw against the model's
 * canary split); MODEL_UNAVAILABLE or VERSION_NOT_FOUND, naming what the model has, otherwise.
 */
export function servingVersion(entry: ModelEntry, version: number, split: boolean, random: () => number): ServingVersion {
  if (version === 0) {
    const canary = split ? canaryFor(entry.traffic, entry, random) : null;
    if (canary) return canary;
    const ready = entry.versions.get(entry.defaultVersion)?.ready;
    if (ready) return ready;
    const reasons = entry.sortedVersions.map((x) => `version ${x.version}: ${x.reason || x.state}`).join('; ');
    throw new AmaasError(
      'AMAAS_ERR_MODEL_UNAVAILABLE',
      `model ${quoted(entry.name)} has no ready version${reasons ? ` (${reasons})` : ' (no version folders found)'}`,
    );
  }
  const v = entry.versions.get(version);
  if (!v) throw versionNotFound(entry.name, version, entry.sortedVersions.map((x) => x.version));
  const ready = v.ready;
  if (!ready) throw unavailableError(entry.name, v);
  return ready;
}

/**
 * One draw against the split: the canary version it lands on while that version is READY, else null (the
 * default serves). A model without a split costs one length check.
 */
function canaryFor(split: TrafficSplit, entry: ModelEntry, random: () => number): ServingVersion | null {
  if (split.length === 0) return null;
  const version = drawVersion(split, random);
  return version === 0 ? null : (entry.versions.get(version)?.ready ?? null);
}
