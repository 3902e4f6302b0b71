/**
 * /metrics on a real server (metrics_port 0) after a mixed workload over real clients: amaas.v1 Predict, OIP
 * ModelInfer and REST infer calls of known rows, an INVALID_ARGUMENT, and a queue-full refusal made while the
 * test hook holds the one worker (so the queue state is set by the test, not by this machine's speed). The
 * scraped counters equal what was sent and agree exactly with OIP ModelStatistics, which is fed by the same
 * record. No timing is asserted.
 */
import * as grpc from '@grpc/grpc-js';
import type { AmaasCallError } from '../../../src/client/amaas-client';
import { makeRepository } from '../../helpers/model-repository';
import { httpGet, scrape } from '../../helpers/prometheus-text';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { until } from '../../helpers/until';
import { WorkerHold } from '../../helpers/worker-hold';
import { OipClient } from '../kserve/oip-client';
import { fp32Bytes } from '../kserve/oip-fixtures';

const hold = new WorkerHold();
let ts: TestServer;
let oip: OipClient;
let metricsPort: number;

beforeAll(async () => {
  hold.install();
  // One worker and room for one waiting request: a third concurrent request is refused with QUEUE_FULL.
  const repo = await makeRepository([{ model: 'scale', config: { instances: 1, intra_op_threads: 1, max_queue_size: 1 } }, { model: 'mlp' }]);
  ts = await startTestServer(repo, { metrics_port: 0, http_port: 0 });
  oip = new OipClient(ts.address);
  metricsPort = ts.server.metricsPort!;
});

afterAll(async () => {
  hold.release();
  oip?.close();
  await ts?.stop();
  hold.cleanup();
});

const rows = (n: number) => ({ x: { data: Float32Array.from({ length: n * 4 }, (_, i) => i), dims: [n, 4] } });
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => grpc.status.OK,
    (e: AmaasCallError) => e.code,
  );

async function restInfer(n: number): Promise<number> {
  const body = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [n, 4], data: Array.from({ length: n * 4 }, (_, i) => i) }] });
  const res = await fetch(`http://127.0.0.1:${ts.server.httpPort}/v2/models/scale/infer`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  await res.arrayBuffer();
  return res.status;
}

it('serves only GET /metrics, in the Prometheus text format, on its own port', async () => {
  expect(metricsPort).toBeGreaterThan(0);
  expect(metricsPort).not.toBe(ts.server.port);
  const ok = await httpGet(metricsPort, '/metrics');
  expect(ok.status).toBe(200);
  expect(ok.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  expect((await httpGet(metricsPort, '/')).status).toBe(404);
  expect((await httpGet(metricsPort, '/v2/models/scale')).status).toBe(404);
  expect((await httpGet(metricsPort, '/metrics', 'POST')).status).toBe(405);
});

it('reports model state, load time, worker restarts and process metrics before any request', async () => {
  const m = await scrape(metricsPort);
  expect(m.value('amaas_model_state', { model: 'scale', version: '1', state: 'READY' })).toBe(1);
  for (const state of ['LOADING', 'UNLOADING', 'UNAVAILABLE']) expect(m.value('amaas_model_state', { model: 'scale', version: '1', state })).toBe(0);
  expect(m.value('amaas_model_load_duration_seconds_count', { model: 'scale' })).toBe(1);
  expect(m.value('amaas_model_load_duration_seconds_sum', { model: 'scale' })).toBeGreaterThan(0);
  expect(m.value('amaas_worker_restarts_total', { model: 'scale', version: '1' })).toBe(0);
  expect(m.value('amaas_queue_depth', { model: 'scale', version: '1' })).toBe(0);
  expect(m.value('amaas_inflight_requests', { model: 'scale', version: '1' })).toBe(0);
  expect(m.types.get('amaas_request_duration_seconds')).toBe('histogram');
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds']) {
    expect(m.find(name)).toHaveLength(1);
  }
});

it('counts a mixed workload exactly, in agreement with OIP ModelStatistics', async () => {
  // amaas.v1 Predict: 3 + 2 rows OK; one shape error.
  await ts.client.predict('scale', rows(3));
  await ts.client.predict('scale', rows(2));
  expect(await codeOf(ts.client.predict('scale', { x: { data: new Float32Array(3), dims: [1, 3] } }))).toBe(grpc.status.INVALID_ARGUMENT);
  // OIP ModelInfer: 4 + 1 rows OK.
  for (const n of [4, 1]) {
    await oip.call('ModelInfer', { model_name: 'scale', inputs: [{ name: 'x', datatype: 'FP32', shape: [n, 4] }], raw_input_contents: [fp32Bytes(new Float32Array(n * 4))] });
  }
  // REST: 2 rows OK.
  expect(await restInfer(2)).toBe(200);
  // Queue full: one request held in the worker, one waiting, the third refused.
  const scheduler = ts.server.registry.get('scale')!.versions.get(1)!.ready!.scheduler;
  hold.hold();
  const held = codeOf(ts.client.predict('scale', rows(1)));
  await hold.waitHeld(1);
  const waiting = codeOf(ts.client.predict('scale', rows(1)));
  await until(() => scheduler.queued === 1, 'one queued request');
  const during = await scrape(metricsPort);
  expect(during.value('amaas_queue_depth', { model: 'scale', version: '1' })).toBe(1);
  expect(during.value('amaas_inflight_requests', { model: 'scale', version: '1' })).toBe(1);
  expect(await codeOf(ts.client.predict('scale', rows(1)))).toBe(grpc.status.RESOURCE_EXHAUSTED);
  hold.release();
  expect(await held).toBe(grpc.status.OK);
  expect(await waiting).toBe(grpc.status.OK);

  const m = await scrape(metricsPort);
  const v1 = { model: 'scale', version: '1' };
  expect(m.value('amaas_requests_total', { ...v1, protocol: 'amaas', code: 'OK' })).toBe(4);
  expect(m.value('amaas_requests_total', { ...v1, protocol: 'amaas', code: 'INVALID_ARGUMENT' })).toBe(1);
  expect(m.value('amaas_requests_total', { ...v1, protocol: 'amaas', code: 'RESOURCE_EXHAUSTED' })).toBe(1);
  expect(m.value('amaas_requests_total', { ...v1, protocol: 'kserve', code: 'OK' })).toBe(2);
  expect(m.value('amaas_requests_total', { ...v1, protocol: 'rest', code: 'OK' })).toBe(1);
  expect(m.sum('amaas_requests_total', v1)).toBe(9);
  expect(m.value('amaas_inferences_total', v1)).toBe(3 + 2 + 4 + 1 + 2 + 1 + 1);
  expect(m.value('amaas_refusals_total', { model: 'scale', reason: 'queue_full' })).toBe(1);
  expect(m.value('amaas_queue_depth', v1)).toBe(0);
  expect(m.value('amaas_inflight_requests', v1)).toBe(0);
  // Every run went through the batcher; its batches hold every row that ran.
  const batches = m.sum('amaas_batches_total', v1);
  expect(batches).toBeGreaterThanOrEqual(1);
  expect(m.value('amaas_batch_size_count', v1)).toBe(batches);
  expect(m.value('amaas_batch_size_sum', v1)).toBe(14);
  for (const s of m.find('amaas_batches_total', v1)) expect(['full', 'delay', 'idle']).toContain(s.labels.closed_by);
  // Histogram buckets are cumulative and end in +Inf = count.
  const buckets = m.find('amaas_request_duration_seconds_bucket', v1);
  expect(buckets.map((b) => b.labels.le)).toEqual(['0.0001', '0.00025', '0.0005', '0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']);
  for (let i = 1; i < buckets.length; i++) expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value);

  const { model_stats } = await oip.call('ModelStatistics', { name: 'scale', version: '1' });
  const s = model_stats[0].inference_stats;
  expect(m.value('amaas_inferences_total', v1)).toBe(Number(model_stats[0].inference_count));
  expect(m.value('amaas_request_duration_seconds_count', v1)).toBe(Number(s.success.count));
  expect(m.sum('amaas_requests_total', { ...v1, code: 'OK' })).toBe(Number(s.success.count));
  expect(m.sum('amaas_requests_total', v1) - m.sum('amaas_requests_total', { ...v1, code: 'OK' })).toBe(Number(s.fail.count));
  expect(m.value('amaas_queue_duration_seconds_count', v1)).toBe(Number(s.queue.count));
  expect(m.value('amaas_compute_duration_seconds_count', v1)).toBe(Number(s.compute_infer.count));
  // Sums are the same nanoseconds, as float seconds: equal to well under a microsecond.
  expect(Math.abs(m.value('amaas_request_duration_seconds_sum', v1) - Number(s.success.ns) / 1e9)).toBeLessThan(1e-6);
  expect(Math.abs(m.value('amaas_queue_duration_seconds_sum', v1) - Number(s.queue.ns) / 1e9)).toBeLessThan(1e-6);
  expect(Math.abs(m.value('amaas_compute_duration_seconds_sum', v1) - Number(s.compute_infer.ns) / 1e9)).toBeLessThan(1e-6);
  // The other model saw nothing.
  expect(m.sum('amaas_requests_total', { model: 'mlp' })).toBe(0);
});

it('counts a refusal for a model with no ready version, and not for an unknown model', async () => {
  await oip.call('RepositoryModelUnload', { model_name: 'mlp' });
  expect(await codeOf(ts.client.predict('mlp', rows(1)))).toBe(grpc.status.UNAVAILABLE);
  expect(await codeOf(ts.client.predict('no_such_model', rows(1)))).toBe(grpc.status.NOT_FOUND);
  const m = await scrape(metricsPort);
  expect(m.value('amaas_refusals_total', { model: 'mlp', reason: 'unavailable' })).toBe(1);
  expect(m.find('amaas_refusals_total', { model: 'no_such_model' })).toHaveLength(0);
  expect(m.value('amaas_model_state', { model: 'mlp', version: '1', state: 'UNAVAILABLE' })).toBe(1);
  expect(m.value('amaas_model_state', { model: 'mlp', version: '1', state: 'READY' })).toBe(0);
});

it('is off without metrics_port', async () => {
  const plain = await startTestServer(await makeRepository([{ model: 'scale' }]));
  try {
    expect(plain.server.metricsPort).toBeNull();
  } finally {
    await plain.stop();
  }
});
