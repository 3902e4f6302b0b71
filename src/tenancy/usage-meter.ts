/**
 * Usage per tenant × model × version, exact: every request the service answered is recorded once, from the
 * same record that feeds ModelStatistics (service/inference-service.ts), so these counts equal what clients
 * were answered. Compute time is the request's share of its run, timed as the service sees it (from leaving the
 * queue to the worker's answer, ModelStatistics' compute_infer): a merged batch's run split over its rows
 * (batch-share.ts), a lone request's run whole. The workers do not report their own run time.
 */

/** Why a request was refused before it reached a worker (the usage's and the metrics' reason label). */
export type UsageRefusal = 'rate_limit' | 'concurrency' | 'queue_full' | 'overloaded';
export const USAGE_REFUSALS: readonly UsageRefusal[] = ['rate_limit', 'concurrency', 'queue_full', 'overloaded'];

export interface UsageRow {
  readonly tenant: string;
  readonly model: string;
  readonly version: number;
  /** Requests answered, whatever the answer. */
  readonly requests: number;
  /** Of those, answered OK. */
  readonly succeeded: number;
  /** Rows of the requests answered OK (the first dimension of batched inputs; 1 per request otherwise). */
  readonly rows: number;
  /** Requests refused for load before reaching a worker, by reason (counted in `requests` too). */
  readonly refused: Readonly<Record<UsageRefusal, number>>;
  /** Run time charged to the tenant, in ms (leaving the queue to the answer; a batch's run split over its rows). */
  readonly computeMs: number;
  /** Bytes of input tensor contents received, and of output tensor contents sent (requests answered OK). */
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/** One answered request, as the service records it. */
export interface UsageEvent {
  readonly tenant: string;
  readonly model: string;
  readonly version: number;
  readonly ok: boolean;
  readonly rows: number;
  readonly refused: UsageRefusal | null;
  readonly computeNs: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

interface MutableRow {
  tenant: string;
  model: string;
  version: number;
  requests: number;
  succeeded: number;
  rows: number;
  refused: Record<UsageRefusal, number>;
  computeNs: number;
  bytesIn: number;
  bytesOut: number;
}

/** Told of each event after it is counted (the Prometheus counters); null: none. */
export type UsageListener = (event: UsageEvent) => void;

export class UsageMeter {
  private readonly rows = new Map<string, MutableRow>();

  constructor(private readonly listener: UsageListener | null = null) {}

  record(e: UsageEvent): void {
    const key = `${e.tenant}\u0000${e.model}\u0000${e.version}`;
    let r = this.rows.get(key);
    if (!r) {
      r = { tenant: e.tenant, model: e.model, version: e.version, requests: 0, succeeded: 0, rows: 0, refused: { rate_limit: 0, concurrency: 0, queue_full: 0, overloaded: 0 }, computeNs: 0, bytesIn: 0, bytesOut: 0 };
      this.rows.set(key, r);
    }
    r.requests++;
    r.bytesIn += e.bytesIn;
    r.computeNs += e.computeNs;
    if (e.refused) r.refused[e.refused]++;
    if (e.ok) {
      r.succeeded++;
      r.rows += e.rows;
      r.bytesOut += e.bytesOut;
    }
    this.listener?.(e);
  }

  /** A snapshot, sorted by tenant, model, version; `tenant` given: that tenant's rows only. */
  snapshot(tenant?: string): UsageRow[] {
    const out: UsageRow[] = [];
    for (const r of this.rows.values()) {
      if (tenant !== undefined && r.tenant !== tenant) continue;
      out.push({
        tenant: r.tenant,
        model: r.model,
        version: r.version,
        requests: r.requests,
        succeeded: r.succeeded,
        rows: r.rows,
        refused: { ...r.refused },
        computeMs: r.computeNs / 1e6,
        bytesIn: r.bytesIn,
        bytesOut: r.bytesOut,
      });
    }
    return out.sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : a.model < b.model ? -1 : a.model > b.model ? 1 : a.version - b.version));
  }
}
