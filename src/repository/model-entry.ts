/**
 * One model as the registry holds it: its versions, its config, and what decides its default version
 * (a run-time pin from SetDefaultVersion/Rollback, the config's default_version, else the highest READY).
 */
import type { ModelConfig } from '../config/schema';
import type { TrafficSplit } from '../config/traffic-schema';
import type { ModelVersion } from './model-version';
import type { ScannedModel } from './scanner';

export class ModelEntry {
  readonly versions = new Map<number, ModelVersion>();
  /** Set by SetDefaultVersion and Rollback; wins over the config's default_version until the model reloads. */
  runtimeDefault: number | null = null;
  /** Earlier default versions, most recent last: where Rollback goes back to. */
  readonly previousDefaults: number[] = [];
  /** Set by SetTrafficSplit (and emptied by Rollback); wins over the config's traffic until the model reloads. */
  runtimeTraffic: TrafficSplit | null = null;
  /** The default version when the routing table last changed (to notice the next change). */
  private lastDefault = 0;
  /** The repository folder as last scanned: poll mode acts on the differences from it. */
  seen: ScannedModel | null = null;

  constructor(
    readonly name: string,
    public config: ModelConfig,
    /** Why the config file is unusable; every version is UNAVAILABLE with it. */
    public configProblem: string | null = null,
  ) {}

  /** The canary split in force: the run-time one, else the config's. */
  get traffic(): TrafficSplit {
    return this.runtimeTraffic ?? this.config.traffic;
  }

  /** Versions sorted by number. */
  get sortedVersions(): ModelVersion[] {
    return [...this.versions.values()].sort((a, b) => a.version - b.version);
  }

  /** The pinned version (SetDefaultVersion/Rollback, else default_version) while READY, else the highest READY; 0 = none. */
  get defaultVersion(): number {
    const pinned = this.runtimeDefault ?? this.config.defaultVersion;
    if (pinned !== null && this.versions.get(pinned)?.state === 'READY') return pinned;
    let best = 0;
    for (const v of this.versions.values()) if (v.state === 'READY' && v.version > best) best = v.version;
    return best;
  }

  /**
   * Notices a switch of the default version since the last call and keeps the history Rollback walks back
   * through (each earlier default once, most recent last). Returns the switch, or null when there was none.
   */
  noteDefault(): { from: number; to: number } | null {
    const now = this.defaultVersion;
    if (now === this.lastDefault) return null;
    const before = this.lastDefault;
    if (before !== 0) {
      const i = this.previousDefaults.lastIndexOf(before);
      if (i >= 0) this.previousDefaults.splice(i, 1);
      this.previousDefaults.push(before);
    }
    this.lastDefault = now;
    return { from: before, to: now };
  }
}
