/**
 * Every model's response cache, and their lifecycle: a model's cache exists once a version with
 * `response_cache` serves a request, and the entries of a version instance go as soon as it stops serving
 * (unload, a reload that replaces it, the model leaving the repository). The registry says when: every state
 * change of a model's versions reaches its listeners synchronously, before the instance can finish another run.
 */
import type { ModelRegistry } from '../repository/model-registry';
import type { ServingVersion } from '../repository/model-version';
import { ModelCache } from './model-cache';

/** One model's cache as the metrics read it at scrape time. */
export interface CacheSize {
  readonly model: string;
  readonly bytes: number;
  readonly entries: number;
}

/** What the metrics read of the caches when Prometheus scrapes. */
export interface CacheView {
  sizes(): CacheSize[];
  /** Entries evicted to make room, by model, since the server started (kept when a model's cache goes). */
  evictions(): ReadonlyMap<string, number>;
}

export class ResponseCaches implements CacheView {
  private readonly byModel = new Map<string, ModelCache>();
  /** Per model, the version instances that have used its cache and still serve. */
  private readonly owners = new Map<string, Set<ServingVersion>>();
  private readonly evicted = new Map<string, number>();

  constructor(private readonly registry: ModelRegistry) {
    registry.onChange((model) => this.sweep(model));
  }

  /** The cache that serves `target`; null when its model's config has no response_cache. */
  of(target: ServingVersion): ModelCache | null {
    const config = target.config.responseCache;
    if (!config) return null;
    let cache = this.byModel.get(target.model);
    if (!cache || cache.maxBytes !== config.maxBytes) {
      // A reload with another max_bytes starts the model's cache afresh.
      cache?.clear();
      const model = target.model;
      cache = new ModelCache(model, config.maxBytes, () => this.evicted.set(model, (this.evicted.get(model) ?? 0) + 1));
      this.byModel.set(target.model, cache);
    }
    let owners = this.owners.get(target.model);
    if (!owners) this.owners.set(target.model, (owners = new Set()));
    owners.add(target);
    return cache;
  }

  /** Caches with their sizes, by model name. */
  sizes(): CacheSize[] {
    return [...this.byModel.values()].map((c) => ({ model: c.model, bytes: c.bytes, entries: c.entries }));
  }

  evictions(): ReadonlyMap<string, number> {
    return this.evicted;
  }

  private sweep(model: string): void {
    const owners = this.owners.get(model);
    if (!owners) return;
    const cache = this.byModel.get(model);
    const entry = this.registry.get(model);
    for (const owner of [...owners]) {
      if (entry?.versions.get(owner.version)?.ready === owner) continue;
      cache?.close(owner);
      owners.delete(owner);
    }
    if (owners.size === 0) {
      this.owners.delete(model);
      cache?.clear();
      this.byModel.delete(model);
    }
  }
}
