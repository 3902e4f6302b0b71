/**
 * Every model the server knows, by name, with its versions. Answers "which version serves this request"
 * and describes models for the metadata RPCs. The default version is the highest READY one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AmaasError, toAmaasError } from '../errors';
import { createLogger } from '../logging';
import { readModelConfig } from './model-config';
import { ModelVersion, ServingVersion, unavailableError } from './model-version';
import { ScannedModel, scanModel, scanRepository } from './scanner';
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

/** Told the model's name whenever one of its versions changes state, or the model is (re)loaded. */
export type ModelChangeListener = (model: string) => void;

export class ModelRegistry {
  private readonly models = new Map<string, ModelEntry>();
  private readonly listeners = new Set<ModelChangeListener>();
  /** Load/unload requests per model, run one after another so they never interleave. */
  private readonly operations = new Map<string, Promise<void>>();
  private root: string | null = null;

  /** Subscribes to model state changes; returns the function that unsubscribes. */
  onChange(listener: ModelChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(model: string): void {
    for (const l of [...this.listeners]) l(model);
  }

  /** Scans the repository and loads every version found; a broken one is marked UNAVAILABLE, the rest serve. */
  async loadRepository(root: string): Promise<void> {
    this.root = root;
    const scanned = scanRepository(root);
    if (scanned.length === 0) log.warn('model repository holds no models', { repository: root });
    await Promise.all(scanned.map((m) => this.loadScanned(m)));
  }

  private async loadScanned(scanned: ScannedModel): Promise<void> {
    const entry = new ModelEntry(scanned.name);
    this.models.set(scanned.name, entry);
    this.changed(scanned.name);
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
      const v = new ModelVersion(scanned.name, s.version, s.modelPath, config, () => this.changed(scanned.name));
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

  /**
   * (Re)loads one model from the repository folder: its current versions are unloaded (finishing their work),
   * then it is scanned and loaded again. NOT_FOUND when the repository has no such model folder.
   */
  loadModel(name: string): Promise<void> {
    return this.serialize(name, async () => {
      if (!this.root) throw new AmaasError('AMAAS_ERR_INTERNAL', 'the repository has not been loaded yet');
      const dir = path.join(this.root, name);
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name) || !fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        throw new AmaasError('AMAAS_ERR_MODEL_NOT_FOUND', `model '${name}' is not in the repository ${this.root}`);
      }
      const old = this.models.get(name);
      if (old) await Promise.all([...old.versions.values()].map((v) => v.unload('reloading')));
      await this.loadScanned(scanModel(name, dir));
    });
  }

  /** Unloads every version of one model; it stays listed, UNAVAILABLE, until loaded again. */
  unloadModel(name: string): Promise<void> {
    return this.serialize(name, async () => {
      const entry = this.entry(name);
      await Promise.all([...entry.versions.values()].map((v) => v.unload('unloaded by request')));
    });
  }

  private serialize(name: string, operation: () => Promise<void>): Promise<void> {
    const previous = this.operations.get(name) ?? Promise.resolve();
    const next = previous.then(operation, operation);
    const settled = next.catch(() => undefined);
    this.operations.set(name, settled);
    void settled.then(() => {
      if (this.operations.get(name) === settled) this.operations.delete(name);
    });
    return next;
  }

  /** Unloads every version: each finishes its queued and running work first. */
  async unloadAll(): Promise<void> {
    const all = [...this.models.values()].flatMap((m) => [...m.versions.values()]);
    await Promise.all(all.map((v) => v.unload('server stopped')));
  }
}
