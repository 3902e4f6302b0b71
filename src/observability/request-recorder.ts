/**
 * Turns what the service, the registry and the security gate report into the metric families, on the main
 * thread. Each model version's tallies are bound once and cached against the version, so recording a request
 * is a lookup and a few additions: no label strings are built and no prom-client call is made per request
 * (tallies.ts). The request counters are fed the very outcome ModelStatistics records.
 */
import * as grpc from '@grpc/grpc-js';
import { GRPC_STATUS_BY_CODE } from '../api/status-map';
import type { ErrorCode } from '../errors';
import type { ModelHooks, VersionHooks } from '../repository/model-hooks';
import type { ServingVersion } from '../repository/model-version';
import type { BatchClosedBy } from '../scheduling/batch-policy';
import type { Identity } from '../security';
import type { RequestOutcome } from '../service/model-statistics';
import type { Protocol, RefusalReason, RequestObserver } from '../service/request-observer';
import type { MetricFamilies } from './metrics';
import type { HistogramTally, Tally, TalliedCounter } from './tallies';

export const PROTOCOLS: readonly Protocol[] = ['amaas', 'kserve', 'rest'];
/** Distinct tenant label values kept; later tenants are counted as OTHER_TENANT. */
export const DEFAULT_TENANT_CAP = 100;
export const OTHER_TENANT = 'other';

/** A request that failed with one of these before it reached a worker was refused, for this reason. */
const REFUSAL_BY_CODE: Partial<Record<ErrorCode, RefusalReason>> = {
  AMAAS_ERR_QUEUE_FULL: 'queue_full',
  AMAAS_ERR_DEADLINE_EXCEEDED: 'deadline',
  // The admission refusal (queued work would outlast the deadline) keeps the label it had as a DEADLINE_EXCEEDED.
  AMAAS_ERR_OVERLOADED: 'deadline',
  AMAAS_ERR_RATE_LIMITED: 'rate_limit',
  AMAAS_ERR_CONCURRENCY_LIMIT: 'concurrency',
  AMAAS_ERR_MODEL_UNAVAILABLE: 'unavailable',
  AMAAS_ERR_SHUTTING_DOWN: 'draining',
};

/** The gRPC status name an outcome is counted under (OK, INVALID_ARGUMENT, ...). */
export function statusName(errorCode: ErrorCode | null): string {
  return errorCode === null ? 'OK' : grpc.status[GRPC_STATUS_BY_CODE[errorCode] ?? grpc.status.INTERNAL];
}

/** Tallies indexed by gRPC status number, bound on first use. */
type ByStatus = Tally[];

function tallyFor(cache: ByStatus, errorCode: ErrorCode | null, bind: (code: string) => Tally): Tally {
  const n = errorCode === null ? grpc.status.OK : (GRPC_STATUS_BY_CODE[errorCode] ?? grpc.status.INTERNAL);
  return (cache[n] ??= bind(statusName(errorCode)));
}

/** A model's refusal tallies, bound on first use of each reason. */
class Refusals {
  private readonly byReason: Partial<Record<RefusalReason, Tally>> = {};

  constructor(
    private readonly family: TalliedCounter<'model' | 'reason'>,
    private readonly model: string,
  ) {}

  inc(reason: RefusalReason): void {
    (this.byReason[reason] ??= this.family.bind(this.model, reason)).value++;
  }
}

/** One model version's bound series. */
class VersionSeries {
  readonly requests: Record<Protocol, ByStatus> = { amaas: [], kserve: [], rest: [] };
  readonly inferences: Tally;
  readonly requestDuration: HistogramTally;
  readonly queueDuration: HistogramTally;
  readonly computeDuration: HistogramTally;
  readonly refusals: Refusals;
  /** By tenant name (bounded by the tenants file), then by status. */
  readonly tenants = new Map<string, ByStatus>();

  constructor(
    private readonly f: MetricFamilies,
    readonly model: string,
    readonly version: string,
    refusals: Refusals,
  ) {
    // OK is bound up front for each protocol, so every series exists (at 0) before its first request.
    for (const p of PROTOCOLS) this.requests[p][grpc.status.OK] = f.requests.bind(model, version, p, 'OK');
    this.inferences = f.inferences.bind(model, version);
    this.requestDuration = f.requestDuration.bind(model, version);
    this.queueDuration = f.queueDuration.bind(model, version);
    this.computeDuration = f.computeDuration.bind(model, version);
    this.refusals = refusals;
  }

  /** Bound on first use: only models with response_cache get the cache series. */
  private cacheHits: Tally | null = null;
  private cacheMisses: Tally | null = null;

  cacheTally(hit: boolean): Tally {
    if (hit) return (this.cacheHits ??= this.f.cacheHits.bind(this.model, this.version));
    return (this.cacheMisses ??= this.f.cacheMisses.bind(this.model, this.version));
  }

  request(protocol: Protocol, errorCode: ErrorCode | null): Tally {
    return tallyFor(this.requests[protocol], errorCode, (code) => this.f.requests.bind(this.model, this.version, protocol, code));
  }
}

export interface RecorderOptions {
  /** Distinct tenant label values kept (default 100). */
  readonly tenantCap?: number;
}

export class MetricsRecorder implements RequestObserver {
  private readonly byVersion = new WeakMap<ServingVersion, VersionSeries>();
  private readonly refusalsByModel = new Map<string, Refusals>();
  private readonly tenantLabels = new Map<string, string>();
  private readonly tenantCap: number;

  constructor(
    private readonly f: MetricFamilies,
    options: RecorderOptions = {},
  ) {
    this.tenantCap = options.tenantCap ?? DEFAULT_TENANT_CAP;
  }

  request(target: ServingVersion, protocol: Protocol, identity: Identity | undefined, outcome: RequestOutcome, errorCode: ErrorCode | null): void {
    const s = this.series(target);
    s.request(protocol, errorCode).value++;
    if (outcome.ok) {
      // A cache hit ran no inference (ModelStatistics leaves it out of inference_count too).
      if (outcome.cache) s.cacheTally(outcome.cache.hit).value++;
      if (!outcome.cache?.hit) s.inferences.value += outcome.batchSize;
      s.requestDuration.observe(Number(outcome.totalNs) / 1e9);
    } else if (outcome.queueNs === undefined) {
      const reason = REFUSAL_BY_CODE[errorCode!];
      if (reason) s.refusals.inc(reason);
    }
    if (outcome.queueNs !== undefined) s.queueDuration.observe(Number(outcome.queueNs) / 1e9);
    if (outcome.computeNs !== undefined) s.computeDuration.observe(Number(outcome.computeNs) / 1e9);
    const tenant = identity?.tenant;
    if (tenant) this.tenantRequest(s, tenant, errorCode);
  }

  refusal(model: string, reason: RefusalReason): void {
    this.refusalsOf(model).inc(reason);
  }

  /** The tenant's label: its name while fewer than the cap have been seen, else OTHER_TENANT. */
  tenantLabel(tenant: string): string {
    let label = this.tenantLabels.get(tenant);
    if (label === undefined) {
      label = this.tenantLabels.size < this.tenantCap ? tenant : OTHER_TENANT;
      this.tenantLabels.set(tenant, label);
    }
    return label;
  }

  /** What the registry calls for load times, batches and worker replacements. */
  readonly modelHooks: ModelHooks = {
    versionLoaded: (model, _version, seconds) => this.f.modelLoadDuration.labels(model).observe(seconds),
    versionHooks: (model, version): VersionHooks => {
      const v = String(version);
      const size = this.f.batchSize.bind(model, v);
      const closed: Partial<Record<BatchClosedBy, Tally>> = {};
      // Rare, so straight to prom-client; inc(0) makes the series exist (at 0) from the load on.
      const restarts = this.f.workerRestarts.labels(model, v);
      restarts.inc(0);
      return {
        onBatch: (rows, closedBy) => {
          size.observe(rows);
          (closed[closedBy] ??= this.f.batches.bind(model, v, closedBy)).value++;
        },
        onWorkerReplaced: () => restarts.inc(),
      };
    },
  };

  private series(target: ServingVersion): VersionSeries {
    let s = this.byVersion.get(target);
    if (!s) {
      s = new VersionSeries(this.f, target.model, String(target.version), this.refusalsOf(target.model));
      this.byVersion.set(target, s);
    }
    return s;
  }

  private refusalsOf(model: string): Refusals {
    let r = this.refusalsByModel.get(model);
    if (!r) {
      r = new Refusals(this.f.refusals, model);
      this.refusalsByModel.set(model, r);
    }
    return r;
  }

  private tenantRequest(s: VersionSeries, tenant: string, errorCode: ErrorCode | null): void {
    let byStatus = s.tenants.get(tenant);
    if (!byStatus) {
      byStatus = [];
      s.tenants.set(tenant, byStatus);
    }
    const label = this.tenantLabel(tenant);
    tallyFor(byStatus, errorCode, (code) => this.f.tenantRequests.bind(label, s.model, code)).value++;
  }
}
