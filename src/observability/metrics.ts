/**
 * amaas's Prometheus metric families, created on one prom-client Registry per server (tests run several servers
 * in one process; the library's global default registry is never used). Names, types and labels are the
 * public contract docs/metrics.md lists (a unit test holds the two together). Base units: seconds, rows.
 * The queue, in-flight and state gauges are read from the model registry when Prometheus scrapes, so they cost
 * nothing per request. What a request or batch adds to is a plain-number tally (tallies.ts), published to
 * prom-client at scrape time; rare events (loads, worker restarts) go to prom-client directly.
 */
import { Counter, CounterConfiguration, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CacheSize, CacheView } from '../caching';
import type { ModelRegistry } from '../repository/model-registry';
import type { VersionState } from '../repository/model-version';
import { TalliedCounter, TalliedHistogram } from './tallies';

/** 100 µs to 10 s in 1-2.5-5 steps: a fast model's run and a slow model's queue both land inside. */
export const DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Rows per executed batch, powers of two up to 1024. */
export const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
/** A model load: checksum, worker start, session creation and warm-up; from a tenth of a second to 10 minutes. */
export const LOAD_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** Default metrics left out: gauges whose names end in _total (sum the by-type gauge instead). */
const PROMTOOL_REJECTED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export const VERSION_STATES: readonly VersionState[] = ['LOADING', 'READY', 'UNLOADING', 'UNAVAILABLE'];

type ModelVersionLabel = 'model' | 'version';

export interface MetricFamilies {
  readonly requests: TalliedCounter<ModelVersionLabel | 'protocol' | 'code'>;
  readonly inferences: TalliedCounter<ModelVersionLabel>;
  readonly requestDuration: TalliedHistogram;
  readonly queueDuration: TalliedHistogram;
  readonly computeDuration: TalliedHistogram;
  readonly batchSize: TalliedHistogram;
  readonly batches: TalliedCounter<ModelVersionLabel | 'closed_by'>;
  readonly refusals: TalliedCounter<'model' | 'reason'>;
  readonly modelLoadDuration: Histogram<'model'>;
  readonly workerRestarts: Counter<ModelVersionLabel>;
  readonly tenantRequests: TalliedCounter<'tenant' | 'model' | 'code'>;
  readonly cacheHits: TalliedCounter<ModelVersionLabel>;
  readonly cacheMisses: TalliedCounter<ModelVersionLabel>;
}

/** A Counter whose values are the tallies bound on it, set when the registry collects. */
function talliedCounter<L extends string>(config: CounterConfiguration<L>): TalliedCounter<L> {
  let tallied: TalliedCounter<L> | null = null;
  tallied = new TalliedCounter(new Counter({ ...config, collect: () => tallied!.publish() }));
  return tallied;
}

/**
 * Registers every family on `registry`, plus prom-client's default process metrics (CPU, memory, event-loop
 * lag, GC). `models()` is the model registry the gauges read at scrape time (null until the server made it);
 * `caches()` the response caches the cache gauges and evictions read (null: none yet).
 */
export function registerMetricFamilies(registry: Registry, models: () => ModelRegistry | null, caches: () => CacheView | null = () => null): MetricFamilies {
  const registers = [registry];
  const mv: ModelVersionLabel[] = ['model', 'version'];
  const f: MetricFamilies = {
    requests: talliedCounter({
      name: 'amaas_requests_total',
      help: 'Inference requests that reached a model version, by protocol and gRPC status code name.',
      labelNames: [...mv, 'protocol', 'code'],
      registers,
    }),
    inferences: talliedCounter({
      name: 'amaas_inferences_total',
      help: 'Rows of successful inference requests (ModelStatistics inference_count).',
      labelNames: mv,
      registers,
    }),
    requestDuration: new TalliedHistogram({
      name: 'amaas_request_duration_seconds',
      help: 'Time from the service receiving a successful request to its outputs being ready (ModelStatistics success).',
      labelNames: mv,
      buckets: DURATION_BUCKETS,
      registry,
    }),
    queueDuration: new TalliedHistogram({
      name: 'amaas_queue_duration_seconds',
      help: 'Time requests waited in the version queue (and for their batch) before reaching a worker.',
      labelNames: mv,
      buckets: DURATION_BUCKETS,
      registry,
    }),
    computeDuration: new TalliedHistogram({
      name: 'amaas_compute_duration_seconds',
      help: 'Time from leaving the queue to the worker run answering, as the main thread sees it.',
      labelNames: mv,
      buckets: DURATION_BUCKETS,
      registry,
    }),
    batchSize: new TalliedHistogram({
      name: 'amaas_batch_size',
      help: 'Rows per batch the dynamic batcher launched.',
      labelNames: mv,
      buckets: BATCH_SIZE_BUCKETS,
      registry,
    }),
    batches: talliedCounter({
      name: 'amaas_batches_total',
      help: 'Batches the dynamic batcher launched, by why they closed (full, delay, idle).',
      labelNames: [...mv, 'closed_by'],
      registers,
    }),
    refusals: talliedCounter({
      name: 'amaas_refusals_total',
      help: 'Requests refused before any compute, by reason.',
      labelNames: ['model', 'reason'],
      registers,
    }),
    modelLoadDuration: new Histogram({
      name: 'amaas_model_load_duration_seconds',
      help: 'Time a model version took to load and warm up until READY.',
      labelNames: ['model'],
      buckets: LOAD_BUCKETS,
      registers,
    }),
    workerRestarts: new Counter({
      name: 'amaas_worker_restarts_total',
      help: 'Workers of a serving version that died and were replaced.',
      labelNames: mv,
      registers,
    }),
    tenantRequests: talliedCounter({
      name: 'amaas_tenant_requests_total',
      help: 'Inference requests by tenant (auth on; at most 100 tenant values, the rest as other).',
      labelNames: ['tenant', 'model', 'code'],
      registers,
    }),
    cacheHits: talliedCounter({
      name: 'amaas_cache_hits_total',
      help: 'Successful requests the response cache answered, or an identical request\'s run (ModelStatistics cache_hit).',
      labelNames: mv,
      registers,
    }),
    cacheMisses: talliedCounter({
      name: 'amaas_cache_misses_total',
      help: 'Successful requests of a cached model that ran and were stored (ModelStatistics cache_miss).',
      labelNames: mv,
      registers,
    }),
  };
  const schedulerGauge = (name: string, help: string, read: (s: { queued: number; running: number }) => number) =>
    new Gauge({
      name,
      help,
      labelNames: mv,
      registers,
      collect() {
        this.reset();
        eachVersion(models(), (model, version, v) => {
          const s = v.scheduler;
          if (s) this.labels(model, version).set(read(s));
        });
      },
    });
  schedulerGauge('amaas_queue_depth', 'Requests waiting in the version queue, read at scrape time.', (s) => s.queued);
  schedulerGauge('amaas_inflight_requests', 'Requests handed to the version workers and not yet answered, read at scrape time.', (s) => s.running);
  new Gauge({
    name: 'amaas_model_state',
    help: 'The version state: 1 for its current state, 0 for the others.',
    labelNames: ['model', 'version', 'state'],
    registers,
    collect() {
      this.reset();
      eachVersion(models(), (model, version, v) => {
        for (const state of VERSION_STATES) this.labels(model, version, state).set(v.state === state ? 1 : 0);
      });
    },
  });
  const cacheGauge = (name: string, help: string, read: (s: CacheSize) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['model'],
      registers,
      collect() {
        this.reset();
        for (const s of caches()?.sizes() ?? []) this.labels(s.model).set(read(s));
      },
    });
  cacheGauge('amaas_cache_bytes', 'Bytes the model\'s response cache holds, as counted against max_bytes, read at scrape time.', (s) => s.bytes);
  cacheGauge('amaas_cache_entries', 'Answers the model\'s response cache holds, read at scrape time.', (s) => s.entries);
  new Counter({
    name: 'amaas_cache_evictions_total',
    help: 'Response cache entries evicted (least recently used first) to make room under max_bytes.',
    labelNames: ['model'],
    registers,
    collect() {
      this.reset();
      for (const [model, n] of caches()?.evictions() ?? []) this.labels(model).inc(n);
    },
  });
  collectDefaultMetrics({ register: registry });
  // prom-client's three gauges named *_total break Prometheus' naming rule (promtool check metrics rejects a
  // non-counter ending in _total); the by-type gauges they total stay, and `sum()` of those gives the same figure.
  for (const name of PROMTOOL_REJECTED_DEFAULTS) registry.removeSingleMetric(name);
  return f;
}

type VersionView = { readonly state: VersionState; readonly scheduler: { readonly queued: number; readonly running: number } | null };

function eachVersion(models: ModelRegistry | null, visit: (model: string, version: string, v: VersionView) => void): void {
  if (!models) return;
  for (const entry of models.list()) for (const v of entry.versions.values()) visit(entry.name, String(v.version), v);
}
