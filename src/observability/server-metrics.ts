/**
 * What server.ts wires when metrics_port is set: one Registry for this server, its metric families, the
 * recorder, and the hooks the service, the model registry and the security gate are handed. With metrics off
 * none of this exists and those layers get no hooks, so they do no recording work at all.
 */
import { Registry } from 'prom-client';
import type { CacheView } from '../caching';
import type { ModelHooks } from '../repository/model-hooks';
import type { ModelRegistry } from '../repository/model-registry';
import type { SecurityHooks } from '../security';
import type { RequestObserver } from '../service/request-observer';
import { registerMetricFamilies } from './metrics';
import { MetricsServer, startMetricsServer } from './metrics-server';
import { MetricsRecorder, RecorderOptions } from './request-recorder';

export interface ServerMetrics {
  readonly registry: Registry;
  /** For InferenceService: every request ModelStatistics records, and refusals. */
  readonly observer: RequestObserver;
  /** For ModelRegistry: load times, batches, worker replacements. */
  readonly modelHooks: ModelHooks;
  /** For createSecurity: the gate's refusals. */
  readonly securityHooks: SecurityHooks;
  /** The model registry the queue, in-flight and state gauges read at scrape time. */
  watch(models: ModelRegistry): void;
  /** The response caches the cache gauges and evictions read at scrape time. */
  watchCaches(caches: CacheView): void;
  /** Serves `GET /metrics` on host:port (0 = a free port); `onError` hears of failed collections. */
  serve(host: string, port: number, onError: (err: Error) => void): Promise<MetricsServer>;
}

export function createServerMetrics(options: RecorderOptions = {}): ServerMetrics {
  const registry = new Registry();
  let models: ModelRegistry | null = null;
  let caches: CacheView | null = null;
  const recorder = new MetricsRecorder(
    registerMetricFamilies(registry, () => models, () => caches),
    options,
  );
  return {
    registry,
    observer: recorder,
    modelHooks: recorder.modelHooks,
    securityHooks: { onDenied: () => recorder.refusal('', 'auth') },
    watch(m) {
      models = m;
    },
    watchCaches(c) {
      caches = c;
    },
    serve: (host, port, onError) => startMetricsServer(registry, host, port, onError),
  };
}
