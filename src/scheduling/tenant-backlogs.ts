/**
 * What each tenant has queued in one model version: the count behind its own queue cap (max_queue_size
 * applies per tenant as well as per version) and the rows behind its expected wait under fair sharing.
 * Both schedulers keep one; with a single tenant queued it answers what the version's totals would.
 */
import { type TenantBacklog, fairUnitsAhead } from './fair-queue';
import type { JobTenant } from './scheduler';

/** The tenant of a job that names none: every caller when auth is off, and in-process callers. */
export const IMPLICIT_TENANT: JobTenant = Object.freeze({ name: 'default', weight: 1, priority: 'normal' });

/** A tenant's queue cap in a version: its own maxQueued when lower than the version's max_queue_size. */
export function tenantQueueCap(tenant: JobTenant, maxQueueSize: number): number {
  return tenant.maxQueued === undefined ? maxQueueSize : Math.min(tenant.maxQueued, maxQueueSize);
}

export class TenantBacklogs {
  private readonly backlogs = new Map<string, TenantBacklog>();
  private totalUnits = 0;

  queued(tenant: JobTenant): number {
    return this.backlogs.get(tenant.name)?.count ?? 0;
  }

  add(tenant: JobTenant, units: number): void {
    const b = this.backlogs.get(tenant.name);
    if (b) {
      b.count++;
      b.units += units;
      b.weight = tenant.weight;
    } else this.backlogs.set(tenant.name, { count: 1, units, weight: tenant.weight });
    this.totalUnits += units;
  }

  remove(tenant: JobTenant, units: number): void {
    const b = this.backlogs.get(tenant.name);
    if (!b) return;
    b.count--;
    b.units -= units;
    this.totalUnits -= units;
    if (b.count <= 0) this.backlogs.delete(tenant.name);
  }

  /**
   * Units a new job of `tenant` would wait behind: everything queued when scheduling is first come first
   * served (`fair` false) or only this tenant queues, else its fair share of the others (fair-queue.ts).
   */
  unitsAhead(tenant: JobTenant, units: number, fair: boolean): number {
    if (!fair || this.backlogs.size === 0 || (this.backlogs.size === 1 && this.backlogs.has(tenant.name))) return this.totalUnits;
    return fairUnitsAhead(this.backlogs, tenant.name, tenant.weight, units);
  }
}
