/**
 * Every model the server knows, by name, with its versions: the routing table ("which version serves this
 * request") and every change to it. Loads follow each model's version_policy; a new or reloaded version is
 * loaded and warmed in its own pool while the old one keeps serving, and only a READY version enters the
 * table, so publishing, rolling back and unloading never fail a request.
 */
import fs from 'node:fs';
import path from 'node:path';
import { resolveModelConfig } from '../config/schema';
import { NO_TRAFFIC_SPLIT, TrafficSplit, describeTraffic } from '../config/traffic-schema';
import { AmaasError, toAmaasError } from '../errors';
import { listed, quoted } from '../errors-format';
import { createLogger } from '../observability/logging';
import { readModelConfig } from './model-config';
import { ModelVersion, ServingVersion, unavailableError } from './model-version';
import { ModelEntry } from './model-entry';
import type { ModelHooks } from './model-hooks';
import type { MasterKey } from './model-key';
import { SerialOperations } from './serial-operations';
import { servingVersion, versionNotFound } from './serving-version';
import { MODEL_NAME, ScannedModel, ScannedVersion, scanModel, scanRepository } from './scanner';
import { NOT_SELECTED_REASON, describePolicy, selectVersions } from './version-policy';

const log = createLogger('repository');

export const NOT_LOADED_REASON = 'not loaded (model_control_mode explicit: load it with LoadModel)';

/** What the registry needs besides its hooks; every field has a default. */
export interface RegistryOptions {
  /** The master key for encrypted model files (model.onnx.enc); null: an encrypted version cannot load. */
  readonly modelKey?: MasterKey | null;
  /** Uniform in [0, 1): draws the canary split. Math.random unless a test injects a seeded one. */
  readonly random?: () => number;
}

/** Told the model's name whenever one of its versions changes state, or the model is (re)loaded. */
export type ModelChangeListener = (model: string) => void;

export class ModelRegistry {
  private readonly models = new Map<string, ModelEntry>();
  private readonly listeners = new Set<ModelChangeListener>();
  /** Load/unload requests per model, run one after another so they never interleave. */
  private readonly operations = new SerialOperations();
  private root: string | null = null;

  private readonly modelKey: MasterKey | null;
  private readonly random: () => number;

  /** `hooks`: what an observer (metrics) is told of loads, batches and worker replacements; none by default. */
  constructor(
    private readonly hooks: ModelHooks = {},
    options: RegistryOptions = {},
  ) {
    this.modelKey = options.modelKey ?? null;
    this.random = options.random ?? Math.random;
  }

  /** Subscribes to model state changes; returns the function that unsubscribes. */
  onChange(listener: ModelChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(model: string): void {
    const entry = this.models.get(model);
    const switched = entry?.noteDefault();
    if (switched) log.info('default version changed', { model, ...switched });
    for (const l of [...this.listeners]) l(model);
  }

  /**
   * Scans the repository and loads what each model's version_policy selects; with `only`, just those models
   * (explicit mode: the others are listed, not loaded). A broken version is UNAVAILABLE, the rest serve.
   */
  async loadRepository(root: string, only: readonly string[] | null = null): Promise<void> {
    this.root = root;
    const scanned = scanRepository(root);
    if (scanned.length === 0) log.warn('model repository holds no models', { repository: root });
    const missing = (only ?? []).filter((name) => !scanned.some((m) => m.name === name));
    if (missing.length > 0) {
      throw new AmaasError('AMAAS_ERR_CONFIG_INVALID', `load_model names models not in the repository ${root}: ${missing.join(', ')}`);
    }
    await Promise.all(
      scanned.map((m) =>
        this.operations.run(m.name, async () => {
          const entry = this.createEntry(m);
          if (only && !only.includes(m.name)) {
            for (const s of m.versions) this.listUnloaded(entry, s, s.problem ?? NOT_LOADED_REASON);
            return;
          }
          await this.applyPolicy(entry, m, new Set(m.versions.map((v) => v.version)));
        }),
      ),
    );
  }

  private createEntry(scanned: ScannedModel): ModelEntry {
    let entry: ModelEntry;
    try {
      entry = new ModelEntry(scanned.name, readModelConfig(scanned.configPath));
    } catch (err) {
      entry = new ModelEntry(scanned.name, resolveModelConfig({}), toAmaasError(err).message);
    }
    entry.seen = scanned;
    this.models.set(scanned.name, entry);
    this.changed(scanned.name);
    if (scanned.versions.length === 0) log.warn('model has no version folders', { model: scanned.name, dir: scanned.dir });
    return entry;
  }

  /** Lists a version that is not loaded, with why; a loaded one is left alone. Returns whether it listed it. */
  private listUnloaded(entry: ModelEntry, s: ScannedVersion, reason: string): boolean {
    const existing = entry.versions.get(s.version);
    if (existing && existing.state !== 'UNAVAILABLE') return false;
    const v = new ModelVersion(entry.name, s.version, s.modelPath, entry.config, () => this.changed(entry.name), this.hooks, this.modelKey);
    entry.versions.set(s.version, v);
    v.markUnavailable(reason);
    return true;
  }

  /**
   * Makes the loaded set match the version_policy over the scanned folders: loads the selected versions in
   * `load` (a READY one is reloaded beside itself), then unloads versions no longer selected (only once a
   * selected one serves, so a failed publish never takes the model down) and drops versions gone from disk.
   */
  private async applyPolicy(entry: ModelEntry, scanned: ScannedModel, load: ReadonlySet<number>): Promise<void> {
    const loadable = scanned.versions.filter((s) => !s.problem).map((s) => s.version);
    const selected = new Set(selectVersions(entry.config.versionPolicy, loadable));
    for (const s of scanned.versions) {
      const problem = entry.configProblem ?? s.problem;
      if (problem) {
        if (this.listUnloaded(entry, s, problem)) log.error('model version cannot load', { model: entry.name, version: s.version, reason: problem, path: s.modelPath });
      } else if (!selected.has(s.version)) {
        if (this.listUnloaded(entry, s, NOT_SELECTED_REASON)) {
          log.info('model version not loaded', { model: entry.name, version: s.version, reason: NOT_SELECTED_REASON, policy: describePolicy(entry.config.versionPolicy) });
        }
      }
    }
    await Promise.all(scanned.versions.filter((s) => selected.has(s.version) && load.has(s.version) && !entry.configProblem).map((s) => this.loadVersion(entry, s)));

    const onDisk = new Set(scanned.versions.map((s) => s.version));
    const serving = [...selected].some((v) => entry.versions.get(v)?.state === 'READY');
    const retire: Promise<void>[] = [];
    for (const v of entry.sortedVersions) {
      if (!onDisk.has(v.version)) {
        retire.push(v.unload('removed from the repository').then(() => void entry.versions.delete(v.version)));
      } else if (!selected.has(v.version) && v.state === 'READY') {
        if (serving) retire.push(v.unload(NOT_SELECTED_REASON));
        else log.warn('keeping a version the version_policy no longer selects: no selected version is ready', { model: entry.name, version: v.version, policy: describePolicy(entry.config.versionPolicy) });
      }
    }
    await Promise.all(retire);
    this.changed(entry.name);
  }

  /**
   * Loads one version in a fresh pool. A READY instance keeps serving until the new one is READY, then the
   * routing table switches to it in one step and the old one drains; if the new one fails, the old one stays.
   */
  private async loadVersion(entry: ModelEntry, s: ScannedVersion): Promise<ModelVersion> {
    const fresh = new ModelVersion(entry.name, s.version, s.modelPath, entry.config, () => this.changed(entry.name), this.hooks, this.modelKey);
    const old = entry.versions.get(s.version);
    const replacing = old?.state === 'READY' ? old : null;
    if (!replacing) entry.versions.set(s.version, fresh);
    await fresh.load();
    if (!replacing) return fresh;
    if (fresh.state !== 'READY') {
      log.error('reload failed; the loaded instance keeps serving', { model: entry.name, version: s.version, reason: fresh.reason });
      return fresh;
    }
    entry.versions.set(s.version, fresh);
    this.changed(entry.name);
    await replacing.unload('replaced by a reload');
    return fresh;
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
      throw new AmaasError('AMAAS_ERR_MODEL_NOT_FOUND', `model ${quoted(name)} is not in the repository (models: ${listed([...this.models.keys()].sort())})`);
    }
    return entry;
  }

  /**
   * The version that serves a request for (name, version); version 0 means the default. Callers submit to the
   * returned scheduler in the same synchronous step: the routing table is only read here. `split`: an inference
   * request naming no version takes the model's canary split (metadata lookups leave it false and see the default).
   */
  resolve(name: string, version: number, split = false): ServingVersion {
    if (!name) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', 'model_name is required');
    return servingVersion(this.entry(name), version, split, this.random);
  }

  /**
   * Replaces the model's canary split until it reloads (an empty split sends every request naming no version
   * to the default). Each version in it must be READY now; one that later stops being READY gets no share.
   */
  setTrafficSplit(name: string, split: TrafficSplit): Promise<TrafficSplit> {
    return this.operations.run(name, async () => {
      const entry = this.entry(name);
      for (const share of split) {
        const v = this.knownVersion(entry, share.version);
        if (v.state !== 'READY') throw unavailableError(name, v);
      }
      entry.runtimeTraffic = split;
      this.changed(name);
      log.info('traffic split set', { model: name, default_version: entry.defaultVersion, traffic: describeTraffic(split) });
      return entry.traffic;
    });
  }

  private scanFolder(name: string): ScannedModel {
    if (!this.root) throw new AmaasError('AMAAS_ERR_INTERNAL', 'the repository has not been loaded yet');
    const dir = path.join(this.root, name);
    if (!MODEL_NAME.test(name) || !fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
      throw new AmaasError('AMAAS_ERR_MODEL_NOT_FOUND', `model ${quoted(name)} is not in the repository`);
    }
    return scanModel(name, dir);
  }

  /**
   * Loads a model from its repository folder. Without a version: re-reads the config and (re)loads what the
   * version_policy selects, each beside any instance already serving; the run-time default pin is cleared.
   * With one: loads just that version, whatever the policy. Rejects with the load failure when nothing of what
   * was asked for is READY afterwards.
   */
  loadModel(name: string, version = 0): Promise<void> {
    return this.operations.run(name, async () => {
      const scanned = this.scanFolder(name);
      let entry = this.models.get(name);
      if (version !== 0) {
        const s = scanned.versions.find((x) => x.version === version);
        if (!s) throw versionNotFound(name, version, scanned.versions.map((x) => x.version), 'version folder');
        entry ??= this.createEntry(scanned);
        if (s.problem) throw new AmaasError('AMAAS_ERR_MODEL_LOAD_FAILED', `model ${quoted(name)} version ${version}: ${s.problem}`);
        if (entry.configProblem) throw new AmaasError('AMAAS_ERR_CONFIG_INVALID', `model ${quoted(name)}: ${entry.configProblem}`);
        const loaded = await this.loadVersion(entry, s);
        if (loaded.state !== 'READY') throw loaded.failure ?? new AmaasError('AMAAS_ERR_MODEL_LOAD_FAILED', loaded.reason);
        return;
      }
      if (entry) {
        entry.config = readModelConfig(scanned.configPath);
        entry.configProblem = null;
        entry.runtimeDefault = null;
        entry.runtimeTraffic = null;
        entry.seen = scanned;
      } else {
        entry = this.createEntry(scanned);
      }
      await this.applyPolicy(entry, scanned, new Set(scanned.versions.map((v) => v.version)));
      if (entry.defaultVersion === 0) {
        const failed = entry.sortedVersions.find((v) => v.failure)?.failure;
        const reasons = entry.sortedVersions.map((v) => `version ${v.version}: ${v.reason || v.state}`).join('; ');
        throw new AmaasError(failed?.code ?? 'AMAAS_ERR_MODEL_LOAD_FAILED', `model ${quoted(name)} loaded no ready version (${reasons || 'no version folders'})`);
      }
    });
  }

  /** Unloads one version (or every version, for 0) once its queued and running work is done; it stays listed. */
  unloadModel(name: string, version = 0): Promise<void> {
    return this.operations.run(name, async () => {
      const entry = this.entry(name);
      const targets = version === 0 ? [...entry.versions.values()] : [this.knownVersion(entry, version)];
      if (targets.some((v) => v.version === entry.runtimeDefault)) entry.runtimeDefault = null;
      await Promise.all(targets.map((v) => v.unload('unloaded by request')));
    });
  }

  /** Pins the default version (it must be READY); 0 removes the pin. Returns the default now in force. */
  setDefaultVersion(name: string, version: number): Promise<number> {
    return this.operations.run(name, async () => {
      const entry = this.entry(name);
      if (version !== 0) {
        const v = this.knownVersion(entry, version);
        if (v.state !== 'READY') throw unavailableError(name, v);
      }
      entry.runtimeDefault = version === 0 ? null : version;
      this.changed(name);
      return entry.defaultVersion;
    });
  }

  /**
   * Ends a canary first: with a traffic split in force, it clears the split (until the model reloads) and every
   * request naming no version goes to the default, which stays. Otherwise it makes the most recent earlier
   * default that is still READY the default again. Returns the default now in force.
   */
  rollback(name: string): Promise<number> {
    return this.operations.run(name, async () => {
      const entry = this.entry(name);
      const current = entry.defaultVersion;
      if (entry.traffic.length > 0) {
        const was = describeTraffic(entry.traffic);
        entry.runtimeTraffic = NO_TRAFFIC_SPLIT;
        this.changed(name);
        log.info('rolled back the canary: all traffic to the default', { model: name, default_version: current, traffic_was: was });
        return current;
      }
      while (entry.previousDefaults.length > 0) {
        const candidate = entry.previousDefaults.pop()!;
        if (candidate !== current && entry.versions.get(candidate)?.state === 'READY') {
          entry.runtimeDefault = candidate;
          this.changed(name);
          log.info('rolled back', { model: name, from: current, to: candidate });
          return candidate;
        }
      }
      throw new AmaasError(
        'AMAAS_ERR_NO_PREVIOUS_VERSION',
        `model ${quoted(name)} has no earlier default version that is still READY to roll back to (default: ${current || 'none'})`,
      );
    });
  }

  private knownVersion(entry: ModelEntry, version: number): ModelVersion {
    const v = entry.versions.get(version);
    if (!v) throw versionNotFound(entry.name, version, entry.sortedVersions.map((x) => x.version));
    return v;
  }

  /**
   * One poll: rescans the repository and applies what changed since the last scan. New models load; removed
   * ones unload and disappear; a changed config reloads the model; new or changed version files load (if the
   * policy selects them) and versions the policy no longer selects unload. Unchanged models are left alone, so
   * an explicit unload sticks until the files change.
   */
  async syncWithRepository(): Promise<void> {
    if (!this.root) return;
    const scanned = scanRepository(this.root);
    const names = new Set(scanned.map((m) => m.name));
    const work: Promise<unknown>[] = [];
    for (const m of scanned) {
      const entry = this.models.get(m.name);
      if (!entry) {
        log.info('new model found', { model: m.name });
        work.push(this.loadModel(m.name).catch((err) => log.error('new model failed to load', { model: m.name, reason: toAmaasError(err).message })));
        continue;
      }
      const seen = entry.seen;
      if (!seen || seen.configFingerprint !== m.configFingerprint) {
        log.info('model config changed; reloading', { model: m.name });
        work.push(this.loadModel(m.name).catch((err) => log.error('model reload failed', { model: m.name, reason: toAmaasError(err).message })));
        continue;
      }
      const before = new Map(seen.versions.map((v) => [v.version, v.fingerprint]));
      const changed = new Set(m.versions.filter((v) => before.get(v.version) !== v.fingerprint).map((v) => v.version));
      const removed = seen.versions.some((v) => !m.versions.some((x) => x.version === v.version));
      if (changed.size === 0 && !removed) continue;
      log.info('model versions changed', { model: m.name, changed: [...changed], removed });
      work.push(
        this.operations.run(m.name, async () => {
          entry.seen = m;
          await this.applyPolicy(entry, m, changed);
        }).catch((err) => log.error('model update failed', { model: m.name, reason: toAmaasError(err).message })),
      );
    }
    for (const name of [...this.models.keys()]) {
      if (names.has(name)) continue;
      log.info('model removed from the repository; unloading', { model: name });
      work.push(
        this.operations.run(name, async () => {
          const entry = this.models.get(name);
          if (!entry) return;
          this.models.delete(name);
          this.changed(name);
          await Promise.all([...entry.versions.values()].map((v) => v.unload('removed from the repository')));
        }),
      );
    }
    await Promise.all(work);
  }

  /** Unloads every version: each finishes its queued and running work first. */
  async unloadAll(): Promise<void> {
    await this.operations.settled();
    const all = [...this.models.values()].flatMap((m) => [...m.versions.values()]);
    await Promise.all(all.map((v) => v.unload('server stopped')));
  }
}
