/**
 * Every model the server knows, by name, with its versions. Answers "which version serves this request"
 * and describes models for the metadata RPCs. The default version is the highest READY one.
 */
import { AmaasError, toAmaasError } from '../errors';
import { createLogger } from '../logging';
import { readModelConfig } from './model-config';
import { ModelVersion, ServingVersion, unavailableError } from './model-version';
import { ScannedModel, scanRepository } from './scanner';
import { resolveModelConfig } from '../config/schema';

const log = createLogger('repository');

export class ModelEntry {
  readonly versions = new Map<number, ModelVersion>();

  constructor(readonly name: string) {}

  /** Versions sorted by number. */
  get sortedVersions(): ModelVersion[] {
    return [...this.versions.values()].sort((a, b) => a.version - b.version);
  }

  /** The highest READY version; 0 when none is ready. */
  get defaultVersion(): number {
    let best = 0;
    for (const v of this.versions.values()) if (v.state === 'READY' && v.version > best) best = v.version;
    return best;
  }
}

export class ModelRegistry {
  private readonly models = new Map<string, ModelEntry>();

  /** Scans the repository and loads every version found; a broken one is marked UNAVAILABLE, the rest serve. */
  async loadRepository(root: string): Promise<void> {
    const scanned = scanRepository(root);
    if (scanned.length === 0) log.warn('model repository holds no models', { repository: root });
    await Promise.all(scanned.map((m) => this.loadModel(m)));
  }

  private async loadModel(scanned: ScannedModel): Promise<void> {
    const entry = new ModelEntry(scanned.name);
    this.models.set(scanned.name, entry);
    let configError: string | null = null;
    let config;
    try {
      config = readModelConfig(scanned.configPath);
    } catch (err) {
      configError = toAmaasError(err).message;
      config = resolveModelConfig({});
    }
    if (scanned.versions.length === 0) log.warn('model has no version folders', { model: scanned.name, dir: scanned.dir });
    const loads: Promise<void>[] = [];
    for (const s of scanned.versions) {
      const v = new ModelVersion(scanned.name, s.version, s.modelPath, config);
      entry.versions.set(s.version, v);
      const problem = configError ?? s.problem;
      if (problem) {
        v.markUnavailable(problem);
        log.error('model version cannot load', { model: scanned.name, version: s.version, reason: problem });
      } else {
        loads.push(v.load());
      }
    }
    await Promise.all(loads);
  }

  get(name: string): ModelEntry | undefined {
    return this.models.get(name);
  }

  /** Models sorted by name. */
  list(): ModelEntry[] {
    return [...this.models.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The model entry, or NOT_FOUND naming what exists. */
  entry(name: string): ModelEntry {
    const entry = this.models.get(name);
    if (!entry) {
      const known = [...this.models.keys()].sort().join(', ') || 'none';
      throw new AmaasError('AMAAS_ERR_MODEL_NOT_FOUND', `model '${name}' is not in the repository (models: ${known})`);
    }
    return entry;
  }

  /** The version that serves a request for (name, version); version 0 means the default. */
  resolve(name: string, version: number): ServingVersion {
    if (!name) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', 'model_name is required');
    const entry = this.entry(name);
    if (version === 0) {
      const v = entry.versions.get(entry.defaultVersion);
      const ready = v?.ready;
      if (ready) return ready;
      const reasons = entry.sortedVersions.map((x) => `version ${x.version}: ${x.reason || x.state}`).join('; ');
      throw new AmaasError(
        'AMAAS_ERR_MODEL_UNAVAILABLE',
        `model '${name}' has no ready version${reasons ? ` (${reasons})` : ' (no version folders found)'}`,
      );
    }
    const v = entry.versions.get(version);
    if (!v) {
      const known = entry.sortedVersions.map((x) => x.version).join(', ') || 'none';
      throw new AmaasError('AMAAS_ERR_VERSION_NOT_FOUND', `model '${name}' has no version ${version} (versions: ${known})`);
    }
    const ready = v.ready;
    if (!ready) throw unavailableError(name, v);
    return ready;
  }

  /** Unloads every version: each finishes its queued and running work first. */
  async unloadAll(): Promise<void> {
    const all = [...this.models.values()].flatMap((m) => [...m.versions.values()]);
    await Promise.all(all.map((v) => v.unload('server stopped')));
  }
}
