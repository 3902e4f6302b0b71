import { Registry } from 'prom-client';
import { registerTenantUsageMetrics } from '../../../src/observability/tenant-usage-metrics';
import { UsageMeter } from '../../../src/tenancy';
import { parsePrometheusText } from '../../helpers/prometheus-text';

function meterWith(tenants: string[]): UsageMeter {
  const m = new UsageMeter();
  for (const tenant of tenants) {
    m.record({ tenant, model: 'mlp', version: 1, ok: true, rows: 2, refused: null, computeNs: 5e6, bytesIn: 8, bytesOut: 4 });
    m.record({ tenant, model: 'mlp', version: 1, ok: false, rows: 1, refused: 'queue_full', computeNs: 0, bytesIn: 4, bytesOut: 0 });
  }
  return m;
}

it('publishes the usage meter at scrape time, with the same counts', async () => {
  const registry = new Registry();
  const meter = meterWith(['a']);
  registerTenantUsageMetrics(registry, () => meter.snapshot());
  let m = parsePrometheusText(await registry.metrics());
  const l = { tenant: 'a', model: 'mlp', version: '1' };
  expect(m.value('amaas_tenant_usage_requests_total', l)).toBe(2);
  expect(m.value('amaas_tenant_rows_total', l)).toBe(2);
  expect(m.value('amaas_tenant_compute_seconds_total', l)).toBeCloseTo(0.005);
  expect(m.value('amaas_tenant_received_bytes_total', l)).toBe(12);
  expect(m.value('amaas_tenant_sent_bytes_total', l)).toBe(4);
  expect(m.value('amaas_tenant_refusals_total', { ...l, reason: 'queue_full' })).toBe(1);
  expect(m.find('amaas_tenant_refusals_total', { ...l, reason: 'rate_limit' })).toEqual([]);
  // A later scrape reads the meter again.
  meter.record({ tenant: 'a', model: 'mlp', version: 1, ok: true, rows: 3, refused: null, computeNs: 0, bytesIn: 0, bytesOut: 0 });
  m = parsePrometheusText(await registry.metrics());
  expect(m.value('amaas_tenant_rows_total', l)).toBe(5);
});

it('keeps the first tenants by name as labels and sums the rest as other', async () => {
  const registry = new Registry();
  const meter = meterWith(['c', 'a', 'b', 'd']);
  registerTenantUsageMetrics(registry, () => meter.snapshot(), 2);
  const m = parsePrometheusText(await registry.metrics());
  expect(m.find('amaas_tenant_rows_total').map((s) => s.labels.tenant).sort()).toEqual(['a', 'b', 'other']);
  expect(m.value('amaas_tenant_rows_total', { tenant: 'other' })).toBe(4);
  expect(m.value('amaas_tenant_refusals_total', { tenant: 'other', reason: 'queue_full' })).toBe(2);
});
