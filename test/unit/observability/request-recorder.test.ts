/**
 * The metrics recorder on its own registry: tallies bound once per version (no binding and no prom-client call
 * per request; values reach prom-client when the registry collects),
 * status names, refusals from outcomes that never left the queue, the tenant cap, and the registry hooks.
 */
import { Registry } from 'prom-client';
import { MetricFamilies, registerMetricFamilies } from '../../../src/observability/metrics';
import { MetricsRecorder, OTHER_TENANT, statusName } from '../../../src/observability/request-recorder';
import type { ServingVersion } from '../../../src/repository/model-version';
import type { Identity } from '../../../src/security';
import type { RequestOutcome } from '../../../src/service/model-statistics';

const version = (model: string, v: number) => ({ model, version: v }) as unknown as ServingVersion;
const tenant = (name: string) => ({ tenant: name }) as Identity;
const ok = (rows: number): RequestOutcome => ({ ok: true, batchSize: rows, totalNs: 3_000_000n, queueNs: 1_000_000n, computeNs: 2_000_000n });
const refused: RequestOutcome = { ok: false, batchSize: 1, totalNs: 10_000n };

/** The one sample of `name` (a histogram's _sum, _count or _bucket too) with these labels; undefined when none. */
async function value(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const family = name.replace(/_(sum|count|bucket)$/, '');
  const m = registry.getSingleMetric(name) ?? registry.getSingleMetric(family);
  if (!m) throw new Error(`no metric ${name}`);
  const { values } = await m.get();
  const found = values.filter(
    (v) => ((v as { metricName?: string }).metricName ?? name) === name && Object.entries(labels).every(([k, x]) => String((v.labels as Record<string, unknown>)[k]) === x),
  );
  return found.length === 1 ? found[0].value : undefined;
}

function setup(tenantCap?: number) {
  const registry = new Registry();
  const families: MetricFamilies = registerMetricFamilies(registry, () => null);
  return { registry, families, recorder: new MetricsRecorder(families, { tenantCap }) };
}

it('names outcomes by their gRPC status', () => {
  expect(statusName(null)).toBe('OK');
  expect(statusName('AMAAS_ERR_SHAPE_MISMATCH')).toBe('INVALID_ARGUMENT');
  expect(statusName('AMAAS_ERR_QUEUE_FULL')).toBe('RESOURCE_EXHAUSTED');
  expect(statusName('AMAAS_ERR_MODEL_UNAVAILABLE')).toBe('UNAVAILABLE');
});

it('binds a version series once and counts requests, rows and durations on it', async () => {
  const { registry, families, recorder } = setup();
  const v1 = version('scale', 1);
  recorder.request(v1, 'amaas', undefined, ok(3), null);
  const labels = jest.spyOn(families.requests, 'bind');
  const observeLabels = jest.spyOn(families.requestDuration, 'bind');
  const promClient = [jest.spyOn(families.requests.counter, 'labels'), jest.spyOn(families.requests.counter, 'inc')];
  recorder.request(v1, 'amaas', undefined, ok(2), null);
  recorder.request(v1, 'kserve', undefined, ok(1), null);
  // OK tallies of every protocol were bound with the series: later requests bind nothing and call no prom-client.
  expect(labels).not.toHaveBeenCalled();
  expect(observeLabels).not.toHaveBeenCalled();
  for (const spy of promClient) expect(spy).not.toHaveBeenCalled();
  expect(await value(registry, 'amaas_requests_total', { model: 'scale', version: '1', protocol: 'amaas', code: 'OK' })).toBe(2);
  expect(await value(registry, 'amaas_requests_total', { model: 'scale', version: '1', protocol: 'kserve', code: 'OK' })).toBe(1);
  expect(await value(registry, 'amaas_requests_total', { model: 'scale', version: '1', protocol: 'rest', code: 'OK' })).toBe(0);
  expect(await value(registry, 'amaas_inferences_total', { model: 'scale', version: '1' })).toBe(6);
  expect(await value(registry, 'amaas_request_duration_seconds_count', { model: 'scale', version: '1' })).toBe(3);
  expect(await value(registry, 'amaas_request_duration_seconds_sum', { model: 'scale', version: '1' })).toBeCloseTo(0.009, 12);
  expect(await value(registry, 'amaas_queue_duration_seconds_sum', { model: 'scale', version: '1' })).toBeCloseTo(0.003, 12);
  expect(await value(registry, 'amaas_compute_duration_seconds_sum', { model: 'scale', version: '1' })).toBeCloseTo(0.006, 12);

  for (const spy of promClient) spy.mockRestore();
  // An error status is bound on its first use, then reused.
  recorder.request(v1, 'amaas', undefined, { ...refused }, 'AMAAS_ERR_SHAPE_MISMATCH');
  recorder.request(v1, 'amaas', undefined, { ...refused }, 'AMAAS_ERR_DATATYPE_MISMATCH');
  expect(labels).toHaveBeenCalledTimes(1);
  expect(await value(registry, 'amaas_requests_total', { model: 'scale', version: '1', protocol: 'amaas', code: 'INVALID_ARGUMENT' })).toBe(2);
  // Failures add no rows and no success duration.
  expect(await value(registry, 'amaas_inferences_total', { model: 'scale', version: '1' })).toBe(6);
  expect(await value(registry, 'amaas_request_duration_seconds_count', { model: 'scale', version: '1' })).toBe(3);
});

it('counts refusals from outcomes that never reached a worker, and from the other layers', async () => {
  const { registry, recorder } = setup();
  const v1 = version('scale', 1);
  recorder.request(v1, 'amaas', undefined, refused, 'AMAAS_ERR_QUEUE_FULL');
  recorder.request(v1, 'rest', undefined, refused, 'AMAAS_ERR_DEADLINE_EXCEEDED');
  // A deadline that passed while running is not a refusal: the request had queue time.
  recorder.request(v1, 'rest', undefined, { ok: false, batchSize: 1, totalNs: 5n, queueNs: 1n, computeNs: 4n }, 'AMAAS_ERR_DEADLINE_EXCEEDED');
  // A bad request is an error, not a refusal.
  recorder.request(v1, 'amaas', undefined, refused, 'AMAAS_ERR_SHAPE_MISMATCH');
  recorder.refusal('', 'auth');
  recorder.refusal('', 'draining');
  expect(await value(registry, 'amaas_refusals_total', { model: 'scale', reason: 'queue_full' })).toBe(1);
  expect(await value(registry, 'amaas_refusals_total', { model: 'scale', reason: 'deadline' })).toBe(1);
  expect(await value(registry, 'amaas_refusals_total', { model: '', reason: 'auth' })).toBe(1);
  expect(await value(registry, 'amaas_refusals_total', { model: '', reason: 'draining' })).toBe(1);
  const all = await registry.getSingleMetric('amaas_refusals_total')!.get();
  expect(all.values.reduce((a, v) => a + v.value, 0)).toBe(4);
});

it('keeps at most the cap of tenant label values; later tenants count as other', async () => {
  const { registry, recorder } = setup(2);
  const v1 = version('scale', 1);
  for (const name of ['acme', 'globex', 'initech', 'umbrella', 'acme']) recorder.request(v1, 'amaas', tenant(name), ok(1), null);
  recorder.request(v1, 'amaas', tenant('initech'), refused, 'AMAAS_ERR_QUEUE_FULL');
  // Auth off: no tenant, no tenant series.
  recorder.request(v1, 'amaas', undefined, ok(1), null);
  expect(recorder.tenantLabel('acme')).toBe('acme');
  expect(recorder.tenantLabel('umbrella')).toBe(OTHER_TENANT);
  expect(await value(registry, 'amaas_tenant_requests_total', { tenant: 'acme', model: 'scale', code: 'OK' })).toBe(2);
  expect(await value(registry, 'amaas_tenant_requests_total', { tenant: 'globex', model: 'scale', code: 'OK' })).toBe(1);
  expect(await value(registry, 'amaas_tenant_requests_total', { tenant: OTHER_TENANT, model: 'scale', code: 'OK' })).toBe(2);
  expect(await value(registry, 'amaas_tenant_requests_total', { tenant: OTHER_TENANT, model: 'scale', code: 'RESOURCE_EXHAUSTED' })).toBe(1);
  const tenants = new Set((await registry.getSingleMetric('amaas_tenant_requests_total')!.get()).values.map((v) => v.labels.tenant));
  expect([...tenants].sort()).toEqual(['acme', 'globex', OTHER_TENANT]);
});

it('records loads, batches by closed_by, and worker replacements through the registry hooks', async () => {
  const { registry, recorder } = setup();
  recorder.modelHooks.versionLoaded!('scale', 1, 0.75);
  const hooks = recorder.modelHooks.versionHooks!('scale', 1);
  // The restart counter exists at 0 as soon as the version loads.
  expect(await value(registry, 'amaas_worker_restarts_total', { model: 'scale', version: '1' })).toBe(0);
  hooks.onBatch!(4, 'full');
  hooks.onBatch!(1, 'idle');
  hooks.onBatch!(2, 'idle');
  hooks.onWorkerReplaced!();
  expect(await value(registry, 'amaas_model_load_duration_seconds_sum', { model: 'scale' })).toBe(0.75);
  expect(await value(registry, 'amaas_batches_total', { model: 'scale', version: '1', closed_by: 'full' })).toBe(1);
  expect(await value(registry, 'amaas_batches_total', { model: 'scale', version: '1', closed_by: 'idle' })).toBe(2);
  // A closed_by series appears with its first batch (an unbatched version shows none).
  expect(await value(registry, 'amaas_batches_total', { model: 'scale', version: '1', closed_by: 'delay' })).toBeUndefined();
  expect(await value(registry, 'amaas_batch_size_sum', { model: 'scale', version: '1' })).toBe(7);
  expect(await value(registry, 'amaas_batch_size_count', { model: 'scale', version: '1' })).toBe(3);
  expect(await value(registry, 'amaas_worker_restarts_total', { model: 'scale', version: '1' })).toBe(1);
});
