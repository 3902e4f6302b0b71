/**
 * Per-tenant admission: the requests bucket, the rows bucket and the max_concurrent cap, checked together
 * before a request is decoded further. A refusal is an AmaasError with a RetryHint (when a retry here can
 * pass) naming the limit; an admission is a Ticket, released exactly once when the request is answered.
 * Time comes from an injected clock (ms), so unit tests drive it by hand.
 */
import type { TenantLimits } from '../config/tenancy-schema';
import { AmaasError } from '../errors';
import { TokenBucket } from './token-bucket';

export type Clock = () => number;

/** What admission needs of a tenant: its name and its limits (from the tenants file, or the top-level config). */
export interface QuotaSubject {
  readonly name: string;
  readonly limits: TenantLimits;
}

export interface Ticket {
  /** The request was answered; frees its concurrency slot. Later calls do nothing. */
  release(): void;
}

/** Before any request was answered, how long a held slot is expected to stay held (the concurrency hint). */
const DEFAULT_HOLD_MS = 10;
/** Weight of the newest duration in the mean hold time. */
const HOLD_ALPHA = 0.2;

const FREE: Ticket = Object.freeze({ release() {} });

class TenantState {
  requests: TokenBucket | null = null;
  rows: TokenBucket | null = null;
  inFlight = 0;
  meanHoldMs = DEFAULT_HOLD_MS;

  constructor(
    public limits: TenantLimits,
    now: number,
  ) {
    this.configure(limits, now);
  }

  /** New limits (a tenants-file reload): buckets whose settings changed start full; in-flight counts carry over. */
  configure(limits: TenantLimits, now: number): void {
    const old = this.limits;
    const burst = limits.burst ?? Math.max(1, limits.requestsPerSecond ?? 1);
    if (limits.requestsPerSecond === undefined) this.requests = null;
    else if (!this.requests || old.requestsPerSecond !== limits.requestsPerSecond || this.requests.capacity !== burst) {
      this.requests = new TokenBucket(limits.requestsPerSecond, burst, now);
    }
    if (limits.rowsPerSecond === undefined) this.rows = null;
    else if (!this.rows || old.rowsPerSecond !== limits.rowsPerSecond) this.rows = new TokenBucket(limits.rowsPerSecond, limits.rowsPerSecond, now);
    this.limits = limits;
  }
}

/** Rounds a wait up to whole ms, at least 1: a hint of 0 would have a client retry at once into the same refusal. */
// The 1e-6 forgives the rounding of bucket arithmetic (249 ms of 4/s leaves 1.0000000000000009 ms).
const hintMs = (ms: number): number => Math.max(1, Math.ceil(ms - 1e-6));

export class TenantQuotas {
  private readonly states = new Map<string, TenantState>();

  constructor(private readonly clock: Clock = Date.now) {}

  /**
   * Admits one request of `rows` rows for `tenant`, or throws AMAAS_ERR_RATE_LIMITED / AMAAS_ERR_CONCURRENCY_LIMIT.
   * A tenant without limits costs one map lookup and no allocation.
   */
  admit(tenant: QuotaSubject, rows: number): Ticket {
    const l = tenant.limits;
    if (l.requestsPerSecond === undefined && l.rowsPerSecond === undefined && l.maxConcurrent === undefined) return FREE;
    const now = this.clock();
    const s = this.stateOf(tenant, now);
    if (l.maxConcurrent !== undefined && s.inFlight >= l.maxConcurrent) {
      throw new AmaasError(
        'AMAAS_ERR_CONCURRENCY_LIMIT',
        `tenant ${tenant.name} already has ${s.inFlight} requests in flight, its max_concurrent; retry once one is answered`,
        { retry: { delayMs: hintMs(s.meanHoldMs / l.maxConcurrent), quota: { subject: `tenant:${tenant.name}`, description: `max_concurrent ${l.maxConcurrent}` } } },
      );
    }
    const requestWait = s.requests ? s.requests.waitMs(1, now) : 0;
    if (requestWait > 0) {
      throw new AmaasError(
        'AMAAS_ERR_RATE_LIMITED',
        `tenant ${tenant.name} is over its rate limit of ${l.requestsPerSecond} requests per second (burst ${s.requests!.capacity}); retry in ${hintMs(requestWait)} ms`,
        { retry: { delayMs: hintMs(requestWait), quota: { subject: `tenant:${tenant.name}`, description: `requests_per_second ${l.requestsPerSecond}, burst ${s.requests!.capacity}` } } },
      );
    }
    const rowWait = s.rows ? s.rows.waitMs(rows, now) : 0;
    if (rowWait > 0) {
      throw new AmaasError(
        'AMAAS_ERR_RATE_LIMITED',
        `tenant ${tenant.name} is over its rate limit of ${l.rowsPerSecond} rows per second (this request has ${rows}); retry in ${hintMs(rowWait)} ms`,
        { retry: { delayMs: hintMs(rowWait), quota: { subject: `tenant:${tenant.name}`, description: `rows_per_second ${l.rowsPerSecond}` } } },
      );
    }
    s.requests?.take(1);
    s.rows?.take(rows);
    if (l.maxConcurrent === undefined) return FREE;
    s.inFlight++;
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        s.inFlight--;
        s.meanHoldMs += HOLD_ALPHA * (Math.max(0, this.clock() - now) - s.meanHoldMs);
      },
    };
  }

  /** Requests of `tenant` admitted under max_concurrent and not yet released; for tests and diagnostics. */
  inFlight(tenant: string): number {
    return this.states.get(tenant)?.inFlight ?? 0;
  }

  private stateOf(tenant: QuotaSubject, now: number): TenantState {
    let s = this.states.get(tenant.name);
    if (!s) this.states.set(tenant.name, (s = new TenantState(tenant.limits, now)));
    else if (s.limits !== tenant.limits) s.configure(tenant.limits, now);
    return s;
  }
}
