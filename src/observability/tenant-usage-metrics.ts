/**
 * Usage metering as Prometheus counters (amaas_tenant_*): read from the tenancy layer's exact usage meter when
 * Prometheus scrapes, so they cost nothing per request and always equal what `GetUsage` reports. Tenant label
 * values are capped like amaas_tenant_requests_total's: the first 100 tenants by name keep theirs, the rest
 * are summed as `other`.
 */
import { Counter, Registry } from 'prom-client';
import type { UsageRow } from '../tenancy';
import { USAGE_REFUSALS } from '../tenancy';
import { DEFAULT_TENANT_CAP, OTHER_TENANT } from './request-recorder';

type Labels = 'tenant' | 'model' | 'version';

/** Registers the usage counters on `registry`; `rows()` is the meter's snapshot (GetUsage's rows). */
export function registerTenantUsageMetrics(registry: Registry, rows: () => readonly UsageRow[], tenantCap = DEFAULT_TENANT_CAP): void {
  const registers = [registry];
  const labelNames: Labels[] = ['tenant', 'model', 'version'];
  // One snapshot per scrape, shared by the families: a registry starts every family's collect in one loop.
  let snapshot: readonly UsageRow[] | null = null;
  const read = () => {
    if (snapshot === null) {
      snapshot = rows();
      queueMicrotask(() => (snapshot = null));
    }
    return snapshot;
  };
  const labelOf = (): ((tenant: string) => string) => {
    const kept = new Set([...new Set(read().map((r) => r.tenant))].sort().slice(0, tenantCap));
    return (tenant) => (kept.has(tenant) ? tenant : OTHER_TENANT);
  };
  const family = (name: string, help: string, value: (r: UsageRow) => number) =>
    new Counter({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        const label = labelOf();
        for (const r of read()) this.labels(label(r.tenant), r.model, String(r.version)).inc(value(r));
      },
    });
  family('amaas_tenant_usage_requests_total', 'Inference requests answered per tenant, model and version (usage metering; every answer).', (r) => r.requests);
  family('amaas_tenant_rows_total', 'Rows of the inference requests answered OK, per tenant (usage metering).', (r) => r.rows);
  family('amaas_tenant_compute_seconds_total', "Run time charged to each tenant (leaving the queue to the worker's answer); a merged batch's run is split over its rows.", (r) => r.computeMs / 1000);
  family('amaas_tenant_received_bytes_total', 'Bytes of input tensor contents received per tenant.', (r) => r.bytesIn);
  family('amaas_tenant_sent_bytes_total', 'Bytes of output tensor contents sent per tenant.', (r) => r.bytesOut);
  new Counter({
    name: 'amaas_tenant_refusals_total',
    help: 'Requests refused for load before reaching a worker, per tenant and reason (rate_limit, concurrency, queue_full, overloaded).',
    labelNames: [...labelNames, 'reason'],
    registers,
    collect() {
      this.reset();
      const label = labelOf();
      for (const r of read()) for (const reason of USAGE_REFUSALS) if (r.refused[reason] > 0) this.labels(label(r.tenant), r.model, String(r.version), reason).inc(r.refused[reason]);
    },
  });
}
