/**
 * The tenancy layer's one entry point, which server.ts wires and the service asks: who a call's tenant is
 * and what it may use (its limits, weight and priority, from the tenants file or, without auth, from the
 * implicit tenant `default` of the server config), admission against those limits (tenant-quotas.ts), what
 * the fair scheduler is told of the tenant (JobTenant), and usage metering (usage-meter.ts).
 *
 * The tenants file is read through the security layer's current policy on each call, so a reload applies new
 * limits to the next request; a tenant's buckets restart full only when its limits changed.
 */
import type { TenancyConfig, TenantLimits } from '../config/tenancy-schema';
import type { ErrorCode } from '../errors';
import type { JobTenant, Priority } from '../scheduling/scheduler';
import type { Identity } from '../security';
import type { TenantPolicy } from '../security/types';
import { BatchShares } from './batch-share';
import { Clock, TenantQuotas, Ticket } from './tenant-quotas';
import { UsageListener, UsageMeter, UsageRefusal } from './usage-meter';

export { shareOf } from './batch-share';
export type { BatchGroup } from './batch-share';
export { TenantQuotas } from './tenant-quotas';
export type { Clock, Ticket } from './tenant-quotas';
export { TokenBucket } from './token-bucket';
export { USAGE_REFUSALS, UsageMeter } from './usage-meter';
export type { UsageEvent, UsageListener, UsageRefusal, UsageRow } from './usage-meter';

/** The tenant every caller is when auth is off (and an in-process caller). */
export const DEFAULT_TENANT = 'default';

/** What tenancy knows of one tenant; a tenants file's Tenant is one. */
export interface TenantSettings {
  readonly name: string;
  readonly limits: TenantLimits;
  readonly weight: number;
  readonly priority: Priority;
}

export interface TenancyOptions {
  /** The tenants file's policy in force now; null when auth is off (every caller is `default`). */
  readonly policy: (() => TenantPolicy) | null;
  /** The implicit tenant's limits and priority (top-level `limits`, `priority`). */
  readonly defaults: TenancyConfig;
  /** Ms clock of the buckets; Date.now unless a test drives it. */
  readonly clock?: Clock;
  /** Told of each usage event (the Prometheus counters read the meter instead; for tests and exporters). */
  readonly onUsage?: UsageListener;
}

const RANK: Readonly<Record<Priority, number>> = { high: 0, normal: 1, low: 2 };

/** Catalogue codes that are a refusal for load, by their usage reason. */
const REFUSAL_BY_CODE: Partial<Record<ErrorCode, UsageRefusal>> = {
  AMAAS_ERR_RATE_LIMITED: 'rate_limit',
  AMAAS_ERR_CONCURRENCY_LIMIT: 'concurrency',
  AMAAS_ERR_QUEUE_FULL: 'queue_full',
  AMAAS_ERR_OVERLOADED: 'overloaded',
};

/** The usage reason of a refusal for load; null for any other outcome. */
export function refusalOf(code: ErrorCode | null): UsageRefusal | null {
  return code === null ? null : (REFUSAL_BY_CODE[code] ?? null);
}

export class Tenancy {
  readonly usage: UsageMeter;
  readonly quotas: TenantQuotas;
  /** Groups the jobs of one merged batch, to split its run over their rows. */
  readonly shares = new BatchShares();
  private readonly implicit: TenantSettings;
  /** JobTenants per tenant and asked priority, so a request allocates none. */
  private readonly jobTenants = new WeakMap<TenantSettings, Partial<Record<Priority, JobTenant>>>();

  constructor(private readonly options: TenancyOptions) {
    this.usage = new UsageMeter(options.onUsage ?? null);
    this.quotas = new TenantQuotas(options.clock ?? Date.now);
    this.implicit = Object.freeze({ name: DEFAULT_TENANT, limits: options.defaults.limits, weight: 1, priority: options.defaults.priority });
  }

  /** The caller's tenant; the implicit one when auth is off or the caller is in-process. */
  settingsOf(identity: Identity | undefined): TenantSettings {
    const name = identity?.tenant;
    if (!name || this.options.policy === null) return this.implicit;
    // A tenant removed by a reload while its call was on the way has no limits left to apply: it is refused
    // at its next call by the gate; this one passes as itself with no limits.
    return this.options.policy().tenants.get(name) ?? { name, limits: {}, weight: 1, priority: 'normal' };
  }

  /** Admits a request of `rows` rows or throws the refusal (AMAAS_ERR_RATE_LIMITED, AMAAS_ERR_CONCURRENCY_LIMIT). */
  admit(tenant: TenantSettings, rows: number): Ticket {
    return this.quotas.admit(tenant, rows);
  }

  /** What the scheduler is told: the tenant's weight, and the asked priority capped by the tenant's. */
  jobTenant(tenant: TenantSettings, asked?: Priority): JobTenant {
    const priority = asked !== undefined && RANK[asked] > RANK[tenant.priority] ? asked : tenant.priority;
    let byPriority = this.jobTenants.get(tenant);
    if (!byPriority) this.jobTenants.set(tenant, (byPriority = {}));
    return (byPriority[priority] ??= Object.freeze({ name: tenant.name, weight: tenant.weight, priority }));
  }
}
