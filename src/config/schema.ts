/**
 * Every setting amaas has, its default, and the one validator. Settings are validated once at startup and
 * frozen; nothing reads process.env or argv after that. The README's config reference mirrors this file.
 */
import os from 'node:os';
import { z } from 'zod';
import { SecurityConfig, SecuritySettings, resolveSecurity } from './security-schema';
import { ResponseCacheConfig, ResponseCacheSettings, resolveResponseCache } from './cache-schema';
import { TenancyConfig, TenancySettings, resolveTenancy } from './tenancy-schema';
import { ModelKeysConfig, ModelKeysSettings, resolveModelKeys } from './model-keys-schema';
import { TrafficSchema, TrafficSplit, resolveTraffic } from './traffic-schema';
import { SchedulingConfig, SchedulingSettings, resolveScheduling } from './scheduling-schema';
import { StreamConfig, StreamSettings, resolveStreams } from './streams-schema';
import { TransportConfig, TransportSettings, resolveTransport } from './transport-schema';
import { LogConfig, LogSettings, ObservabilityConfig, ObservabilitySettings, TracingConfig, TracingSettings, resolveLogs, resolveObservability, resolveTracing } from './observability-schema';

/** Rows per merged batch for a batchable model whose config does not set max_batch_size. */
export const DEFAULT_MAX_BATCH_SIZE = 32;
export const DEFAULT_MAX_QUEUE_DELAY_MICROSECONDS = 0;
/** worker_spin_us: 0, since spinning made c=1 and c=8 slower on 2 cores (BENCHMARKS.md, "Worker spin"). */
export const DEFAULT_WORKER_SPIN_US = 0;
/** deadline_margin_ms's default. */
export const DEFAULT_DEADLINE_MARGIN_MS = 5;

/** Per-model settings, from `<repo>/<model>/config.yaml` (or config.json). Keys are snake_case, like Triton's. */
export const ModelConfigSchema = z
  .object({
    /** Worker threads, each holding its own InferenceSession. Default: 1. */
    instances: z.number().int().min(1).max(64).optional(),
    /**
     * onnxruntime intra-op threads per worker. Default: the machine's cores divided by `instances`, rounded down
     * (at least 1), so instances x intra_op_threads never exceeds the cores unless `instances` alone does.
     */
    intra_op_threads: z.number().int().min(1).max(256).optional(),
    /** onnxruntime inter-op threads per worker (parallel branches of the graph). Default: 1. */
    inter_op_threads: z.number().int().min(1).max(256).default(1),
    /** Execution provider: `cpu`, `cuda` (fail if unavailable) or `auto` (CUDA if it loads, else CPU). */
    device: z.enum(['cpu', 'cuda', 'auto']).default('cpu'),
    /**
     * Triton's meaning: the most rows (first-dimension entries) one merged batch may hold, and so the most rows
     * one request may carry (larger requests fail with INVALID_ARGUMENT). 0 turns dynamic batching off and lifts
     * the limit; a value above 0 on a model that cannot be batched is a load error. Unset: batchable models
     * (every input and output has a dynamic first dimension) merge up to DEFAULT_MAX_BATCH_SIZE rows, and a
     * larger request is not refused but runs alone, so turning batching on by default rejects nothing.
     */
    max_batch_size: z.number().int().min(0).max(65536).optional(),
    /**
     * Merges concurrent requests into one session run (docs/batching.md). Batchable models batch without this
     * block too, with its defaults; writing it asks for batching, so a model that cannot batch fails to load.
     */
    dynamic_batching: z
      .object({
        /**
         * How long the oldest waiting request may wait for companions while a worker is free. Default 0: run at
         * once with whatever is queued; batches still form from requests that queue while the workers are busy.
         * Measured on mlp_large (bench/, BENCHMARKS.md): 0 cut the c=1 median by about 1.3 ms against 500 and
         * matched it at c=64. Node timers tick in milliseconds, so values in (0, 1000) wait about 1 ms.
         */
        max_queue_delay_microseconds: z.number().int().min(0).max(1_000_000).default(DEFAULT_MAX_QUEUE_DELAY_MICROSECONDS),
        /** Batch sizes (rows) to run as soon as they can be formed, without waiting out the delay. Default: none. */
        preferred_batch_sizes: z.array(z.number().int().min(1)).max(64).default([]),
      })
      .strict()
      .optional(),
    /**
     * Let idle intra-op threads spin waiting for work. Off by default: spinning threads steal the cores other
     * workers and the gRPC thread need (measured: two spinning 2-thread workers on 2 cores ran at half speed).
     */
    allow_spinning: z.boolean().default(false),
    /**
     * OS priority (nice, 0-19) of the worker threads and their onnxruntime threads (Linux). Default 10: when
     * inference saturates the cores, the gRPC thread, which reads requests, refuses overload at once and
     * answers health checks, still runs first. 0 = same priority as the gRPC thread. Measured under 10 x
     * overload on 2 cores (docs/batching.md): at 0, 2,944 calls failed INTERNAL as connections closed and the
     * health-check p99 was 46 ms; at 10, none failed and the p99 was 22 ms.
     */
    worker_nice: z.number().int().min(0).max(19).default(10),
    /**
     * How long (µs) a worker that has just answered keeps polling for its next task before it sleeps, so a task
     * posted within that time starts without waking a sleeping thread. 0 = sleep at once. See docs/batching.md.
     */
    worker_spin_us: z.number().int().min(0).max(100_000).default(DEFAULT_WORKER_SPIN_US),
    /** Requests queued per version before new ones are refused with RESOURCE_EXHAUSTED; each tenant may queue at most this many too. */
    max_queue_size: z.number().int().min(1).default(1024),
    /** fair_scheduling, priority_aging_ms (scheduling-schema.ts). */
    ...SchedulingSettings,
    /**
     * Which version folders are loaded (Triton's names): `{ latest: N }` the N highest version numbers,
     * `{ specific: [versions] }` exactly those, or `all`. Default `{ latest: 1 }`. Versions left out are listed
     * as UNAVAILABLE with the reason "not selected by version_policy"; LoadModel with a version still loads one.
     */
    version_policy: z
      .union([
        z.literal('all'),
        z.object({ latest: z.number().int().min(1) }).strict(),
        z.object({ specific: z.array(z.number().int().min(1)).min(1) }).strict(),
      ])
      .default({ latest: 1 }),
    /**
     * Pins the version that serves requests naming no version (while it is READY). Unset: the highest READY
     * version. SetDefaultVersion and Rollback override it at run time until the model is reloaded.
     */
    default_version: z.number().int().min(1).optional(),
    /**
     * Requests run on every worker after its session opens and before the version takes traffic, so the first
     * real request does not pay onnxruntime's first-run cost. `generated`: a request built from the input
     * metadata (zeros, empty strings; a dynamic first dimension 1, other dynamic dimensions 16, then all 1 if
     * that fails); best effort: if it fails the version is READY with a note. Sample requests in
     * `<version>/warmup/*.json` (the CLI's JSON inputs format) run too, and one that fails leaves the version
     * UNAVAILABLE ("warm-up failed: ..."). `runs`: how many times each is run; 0 turns warm-up off.
     */
    warmup: z
      .object({
        generated: z.boolean().default(true),
        runs: z.number().int().min(0).max(100).default(1),
      })
      .strict()
      .default({ generated: true, runs: 1 }),
    /**
     * Expected SHA-256 (hex) of a version's model.onnx, by version number: `{ "2": "ab12..." }`. Checked before
     * the version loads; a mismatch leaves it UNAVAILABLE with AMAAS_ERR_CHECKSUM_MISMATCH's message.
     */
    sha256: z.record(z.string().regex(/^[1-9][0-9]*$/, 'keys are version numbers'), z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits')).optional(),
    /** response_cache.max_bytes (cache-schema.ts). */
    ...ResponseCacheSettings,
    /**
     * Canary split (traffic-schema.ts): `{ "3": 10 }` sends requests naming no version to version 3 with 10 %
     * probability (while it is READY), the rest to the default. SetTrafficSplit and Rollback override it at run time.
     */
    traffic: TrafficSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const max = c.max_batch_size ?? DEFAULT_MAX_BATCH_SIZE;
    if (c.dynamic_batching && max === 0) {
      ctx.addIssue({ code: 'custom', path: ['dynamic_batching'], message: 'needs max_batch_size above 0 (0 turns batching off)' });
    }
    for (const size of c.dynamic_batching?.preferred_batch_sizes ?? []) {
      if (max > 0 && size > max) {
        ctx.addIssue({
          code: 'custom',
          path: ['dynamic_batching', 'preferred_batch_sizes'],
          message: `${size} is above max_batch_size ${max}`,
        });
      }
    }
  });

export type ModelConfigInput = z.input<typeof ModelConfigSchema>;

/** Model settings with every default resolved. */
export interface ModelConfig {
  readonly instances: number;
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
  readonly device: 'cpu' | 'cuda' | 'auto';
  /** Rows per merged batch when the model batches (DEFAULT_MAX_BATCH_SIZE unless set); 0 = batching off. */
  readonly maxBatchSize: number;
  /** max_batch_size is written in the config: only then does it also refuse larger requests. */
  readonly maxBatchSizeSet: boolean;
  /** The config asked for batching (a dynamic_batching block, or max_batch_size above 0): a model that cannot batch fails to load. */
  readonly batchingRequested: boolean;
  readonly maxQueueDelayMicroseconds: number;
  readonly preferredBatchSizes: readonly number[];
  readonly allowSpinning: boolean;
  readonly workerNice: number;
  readonly workerSpinUs: number;
  readonly maxQueueSize: number;
  /** Fair queuing between tenants and priorities (scheduling-schema.ts). */
  readonly scheduling: SchedulingConfig;
  readonly versionPolicy: VersionPolicy;
  /** null: the highest READY version is the default. */
  readonly defaultVersion: number | null;
  readonly warmup: WarmupConfig;
  /** Expected SHA-256 (lower-case hex) of model.onnx, by version. */
  readonly sha256: ReadonlyMap<number, string>;
  /** null: no response cache (the default). */
  readonly responseCache: ResponseCacheConfig | null;
  /** Canary shares of the requests that name no version; empty: all go to the default. */
  readonly traffic: TrafficSplit;
}

export type VersionPolicy = 'all' | { readonly latest: number } | { readonly specific: readonly number[] };

export interface WarmupConfig {
  readonly generated: boolean;
  /** Times each warm-up request runs per worker; 0 = no warm-up. */
  readonly runs: number;
}

export function resolveModelConfig(raw: unknown, cores = os.availableParallelism()): ModelConfig {
  const c = ModelConfigSchema.parse(raw ?? {});
  const instances = c.instances ?? 1;
  return Object.freeze({
    instances,
    intraOpThreads: c.intra_op_threads ?? Math.max(1, Math.floor(cores / instances)),
    interOpThreads: c.inter_op_threads,
    device: c.device,
    maxBatchSize: c.max_batch_size ?? DEFAULT_MAX_BATCH_SIZE,
    maxBatchSizeSet: c.max_batch_size !== undefined,
    batchingRequested: c.dynamic_batching !== undefined || (c.max_batch_size ?? 0) > 0,
    maxQueueDelayMicroseconds: c.dynamic_batching?.max_queue_delay_microseconds ?? DEFAULT_MAX_QUEUE_DELAY_MICROSECONDS,
    preferredBatchSizes: Object.freeze([...new Set(c.dynamic_batching?.preferred_batch_sizes ?? [])].sort((a, b) => a - b)),
    allowSpinning: c.allow_spinning,
    workerNice: c.worker_nice,
    workerSpinUs: c.worker_spin_us,
    maxQueueSize: c.max_queue_size,
    scheduling: resolveScheduling(c),
    versionPolicy: c.version_policy,
    defaultVersion: c.default_version ?? null,
    warmup: Object.freeze({ ...c.warmup }),
    sha256: new Map(Object.entries(c.sha256 ?? {}).map(([v, hex]) => [Number(v), hex.toLowerCase()])),
    responseCache: resolveResponseCache(c.response_cache),
    traffic: resolveTraffic(c.traffic),
  });
}

/** Server settings, from `--config FILE` (YAML or JSON), AMAAS_* environment variables and flags. */
export const ServerConfigSchema = z
  .object({
    /** Root of the model repository: `<repo>/<model>/<version>/model.onnx`. */
    model_repository: z.string().min(1),
    /** Address to bind. 127.0.0.1 keeps the server private; use 0.0.0.0 in containers (then auth, or allow_unauthenticated). */
    host: z.string().min(1).default('127.0.0.1'),
    /** gRPC port; 0 picks a free one (the bound address is printed). */
    port: z.number().int().min(0).max(65535).default(50051),
    /**
     * Port of the Open Inference Protocol's HTTP/REST binding (`/v2/...`), on the same host. Unset: no HTTP
     * server; 0 picks a free port (the bound address is printed).
     */
    http_port: z.number().int().min(0).max(65535).optional(),
    /** metrics_port (observability-schema.ts). */
    ...ObservabilitySettings,
    /** access_log (observability-schema.ts). */
    ...LogSettings,
    /** tracing.* (observability-schema.ts). */
    ...TracingSettings,
    /** Largest gRPC message accepted or sent, in bytes. Larger ones fail with RESOURCE_EXHAUSTED. */
    max_message_bytes: z
      .number()
      .int()
      .min(1024)
      .max(2 ** 31 - 1)
      .default(64 * 1024 * 1024),
    /** BatchPredict items in flight per stream; the server stops reading the stream while this many are. */
    stream_window: z.number().int().min(1).max(65536).default(64),
    /** stream_item_timeout_ms (streams-schema.ts). */
    ...StreamSettings,
    /** flow_control_window_bytes, stream_flow_control_window_bytes, gc_heap_growing_percent (transport-schema.ts). */
    ...TransportSettings,
    /** On SIGTERM/SIGINT, how long in-flight calls may take to finish before they are cancelled. */
    drain_timeout_ms: z.number().int().min(0).default(30_000),
    /**
     * On SIGTERM, how long health (grpc.health.v1, ServerReady, /v2/health/ready) says NOT_SERVING while the
     * server still accepts and answers calls, before it drains: time for balancers and Kubernetes' readiness
     * probes (periodSeconds x failureThreshold) and endpoint updates to stop sending it new calls. SIGINT and a
     * second SIGTERM skip it. Keep terminationGracePeriodSeconds above this plus drain_timeout_ms.
     */
    shutdown_delay_ms: z.number().int().min(0).max(3_600_000).default(5000),
    /**
     * How long before a call's deadline the server answers DEADLINE_EXCEEDED for a request still queued, and
     * the slack deadline-aware admission keeps: a request whose expected queue wait and run would pass
     * (deadline - margin) is refused at once. The server's status must reach the client before the client's
     * own deadline timer fires; otherwise the client cancels with an HTTP/2 RST_STREAM, and a storm of those
     * under overload trips Node's rapid-reset protection, which closes the session and fails unrelated calls.
     * Default 5 ms: more than a loopback or LAN round trip and the timer's 1 ms granularity.
     */
    deadline_margin_ms: z.number().int().min(0).max(60_000).default(DEFAULT_DEADLINE_MARGIN_MS),
    /**
     * Close each client connection this long after it opened (grpc-js's grpc.max_connection_age_ms, with its
     * ±10 % jitter): the server sends HTTP/2 GOAWAY and the client opens a new connection, so a client that
     * holds one connection for hours reaches replicas added since. Unset: connections live as long as their
     * clients keep them. For meshes and L4 balancers; an L7 balancer (Envoy, nginx grpc_pass) balances per call.
     */
    max_connection_age_ms: z.number().int().min(1).optional(),
    /** After the GOAWAY, how long calls in flight on the old connection may take before it is closed (grpc.max_connection_age_grace_ms). Unset: no limit. */
    max_connection_age_grace_ms: z.number().int().min(0).optional(),
    /** Log level: error, warn, info or debug. */
    log_level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
    /**
     * How the set of loaded models changes: `none` loads the repository at start; `poll` also rescans it every
     * repository_poll_secs (new versions and models load, removed ones unload, a changed config reloads the
     * model); `explicit` loads only the models in load_model at start. In every mode the ModelRepositoryService
     * (and the Open Inference Protocol's repository RPCs) can load, unload and switch versions.
     */
    model_control_mode: z.enum(['none', 'poll', 'explicit']).default('none'),
    /** Seconds between repository scans in `poll` mode. */
    repository_poll_secs: z.number().int().min(1).max(86_400).default(15),
    /** Models loaded at start in `explicit` mode (`--load-model NAME`, repeatable). */
    load_model: z.array(z.string().min(1)).default([]),
    ...SecuritySettings,
    /** limits, priority of the implicit tenant (tenancy-schema.ts). */
    ...TenancySettings,
    /** model_keys.key_file, model_key (model-keys-schema.ts). */
    ...ModelKeysSettings,
  })
  .strict();

export type ServerConfigInput = z.input<typeof ServerConfigSchema>;

export interface ServerConfig extends ObservabilityConfig, LogConfig, SecurityConfig, TenancyConfig, StreamConfig, TransportConfig {
  /** OpenTelemetry traces (tracing.*); otlpEndpoint null: off. */
  readonly tracing: TracingConfig;
  readonly modelRepository: string;
  readonly host: string;
  readonly port: number;
  /** null: the HTTP binding is off. */
  readonly httpPort: number | null;
  readonly maxMessageBytes: number;
  readonly streamWindow: number;
  readonly drainTimeoutMs: number;
  /** shutdown_delay_ms: NOT_SERVING but still serving, between SIGTERM and the drain. */
  readonly shutdownDelayMs: number;
  /** The server answers a call this many ms before its deadline (deadline_margin_ms). */
  readonly deadlineMarginMs: number;
  /** max_connection_age_ms; null: connections are not aged. */
  readonly maxConnectionAgeMs: number | null;
  /** max_connection_age_grace_ms; null: no limit after the GOAWAY. */
  readonly maxConnectionAgeGraceMs: number | null;
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug';
  readonly modelControlMode: 'none' | 'poll' | 'explicit';
  readonly repositoryPollSecs: number;
  readonly loadModels: readonly string[];
  /** The master key for encrypted models (model-keys-schema.ts). */
  readonly modelKeys: ModelKeysConfig;
}

export function resolveServerConfig(raw: unknown): ServerConfig {
  const c = ServerConfigSchema.parse(raw);
  return Object.freeze({
    modelRepository: c.model_repository,
    host: c.host,
    port: c.port,
    httpPort: c.http_port ?? null,
    ...resolveObservability(c),
    ...resolveLogs(c),
    ...resolveTracing(c),
    maxMessageBytes: c.max_message_bytes,
    streamWindow: c.stream_window,
    ...resolveStreams(c),
    ...resolveTransport(c),
    drainTimeoutMs: c.drain_timeout_ms,
    shutdownDelayMs: c.shutdown_delay_ms,
    deadlineMarginMs: c.deadline_margin_ms,
    maxConnectionAgeMs: c.max_connection_age_ms ?? null,
    maxConnectionAgeGraceMs: c.max_connection_age_grace_ms ?? null,
    logLevel: c.log_level,
    modelControlMode: c.model_control_mode,
    repositoryPollSecs: c.repository_poll_secs,
    loadModels: Object.freeze([...c.load_model]),
    ...resolveSecurity(c),
    ...resolveTenancy(c),
    ...resolveModelKeys(c),
  });
}
