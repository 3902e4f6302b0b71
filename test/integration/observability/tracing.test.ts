/**
 * OpenTelemetry tracing end to end: a real `amaas serve` process with tracing.otlp_endpoint set exports over
 * OTLP/HTTP to a real receiver in this test's process (test/helpers/otlp-receiver.ts); real clients of every
 * protocol call it. (A process, not an in-process server: the OTLP exporter loads node:http with a dynamic
 * import, which Jest's module sandbox refuses; sampling and tracing off are tested in process, beside this.)
 * A call sent with a W3C `traceparent` continues that trace (same trace id, the sent span as parent), with the
 * RPC or HTTP attributes, the model, the request id, and queue and compute spans under it; stream items get spans
 * under the stream's; requests held back by the test's worker hook (so they certainly queue together, whatever
 * this machine's speed) run as one batch, whose span links to both requests' spans. No timing is asserted.
 */
import * as grpc from '@grpc/grpc-js';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { amaasV1Service } from '../../../src/api/protos';
import { makeRepository, tempDir } from '../../helpers/model-repository';
import { OtlpReceiver, ReceivedSpan } from '../../helpers/otlp-receiver';
import { scrape } from '../../helpers/prometheus-text';
import { ServerProcess, startServerProcess } from '../../helpers/server-process';
import { until } from '../../helpers/until';
import { WorkerHold } from '../../helpers/worker-hold';
import { OipClient } from '../kserve/oip-client';
import { httpRequest, scaleInferJson, scalePredict } from '../security/security-fixtures';

type RawClient = grpc.Client & Record<string, any>;

const hold = new WorkerHold();
let receiver: OtlpReceiver;
let p: ServerProcess;
let httpPort: number;
let metricsPort: number;
let v1: RawClient;
let oip: OipClient;

/** A sent parent: a fresh trace id and span id, sampled unless `flags` says otherwise. */
function parent(flags = '01') {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-${flags}` };
}

function metadataWith(headers: Record<string, string>): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) md.set(k, v);
  return md;
}

function unary(client: RawClient, rpc: string, request: object, metadata: grpc.Metadata): Promise<grpc.ServiceError | null> {
  return new Promise((resolve) => client[rpc](request, metadata, (err: grpc.ServiceError | null) => resolve(err)));
}

function streamAll(stream: grpc.ClientDuplexStream<any, any>, items: object[]): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const answers: any[] = [];
    stream.on('data', (a) => answers.push(a));
    stream.on('error', reject);
    stream.on('end', () => resolve(answers));
    for (const item of items) stream.write(item);
    stream.end();
  });
}

const oipScale = (id: string) => ({
  model_name: 'scale',
  id,
  inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4] }],
  raw_input_contents: [Buffer.from(new Float32Array([1, 2, 3, 4]).buffer)],
});

const inTrace = (traceId: string) => receiver.spans.filter((s) => s.traceId === traceId);

/** Waits until `count` spans of `traceId` have arrived (the BatchSpanProcessor exports every few seconds). */
async function spansOf(traceId: string, count: number): Promise<ReceivedSpan[]> {
  await until(() => inTrace(traceId).length >= count, `${count} spans of trace ${traceId}`);
  return inTrace(traceId);
}

function one(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const found = spans.filter((s) => s.name === name);
  expect(found).toHaveLength(1);
  return found[0];
}

/** The queue and compute spans under `server`, in its trace and within it, the queue ending where compute starts. */
function expectQueueAndCompute(spans: ReceivedSpan[], server: ReceivedSpan): void {
  const children = spans.filter((s) => s.parentSpanId === server.spanId);
  const queue = one(children, 'amaas.queue');
  const compute = one(children, 'amaas.compute');
  for (const s of [queue, compute]) {
    expect(s.traceId).toBe(server.traceId);
    expect(s.kind).toBe(1);
    expect(s.startNs).toBeGreaterThanOrEqual(server.startNs);
    expect(s.endNs).toBeLessThanOrEqual(server.endNs);
  }
  expect(queue.endNs).toBe(compute.startNs);
}

/** The port of a line like `amaas http on 127.0.0.1:PORT` once the process has printed it. */
async function printedPort(what: string): Promise<number> {
  const re = new RegExp(`amaas ${what} on \\S+:(\\d+)`);
  await until(() => re.test(p.stdout()), `the ${what} line`);
  return Number(re.exec(p.stdout())![1]);
}

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
  // One worker: a request held in it keeps the next ones in the queue until the test releases it.
  const repo = await makeRepository([
    { model: 'scale', config: { instances: 1, intra_op_threads: 1 } },
    { model: 'scale', name: 'cached', config: { instances: 1, intra_op_threads: 1, response_cache: { max_bytes: '1MiB' } } },
  ]);
  const config = path.join(tempDir('amaas-tracing-'), 'amaas.yaml');
  fs.writeFileSync(config, `http_port: 0\nmetrics_port: 0\ntracing:\n  otlp_endpoint: ${receiver.endpoint}\n  service_name: amaas-test\n`);
  p = await startServerProcess(['--model-repository', repo, '--config', config], hold.env);
  httpPort = await printedPort('http');
  metricsPort = await printedPort('metrics');
  v1 = new (amaasV1Service())(p.address, grpc.credentials.createInsecure()) as RawClient;
  oip = new OipClient(p.address);
});

afterAll(async () => {
  hold.release();
  v1?.close();
  oip?.close();
  p?.child.kill('SIGTERM');
  await p?.exited;
  await receiver?.close();
  hold.cleanup();
});

it('Predict with a traceparent: a server span in that trace, the sent span its parent, with RPC attributes, model and request id', async () => {
  const p = parent();
  expect(await unary(v1, 'Predict', scalePredict(), metadataWith({ traceparent: p.traceparent, 'x-request-id': 'traced-predict-1' }))).toBeNull();
  const spans = await spansOf(p.traceId, 3);
  const server = one(spans, 'amaas.v1.InferenceService/Predict');
  expect(server).toMatchObject({ parentSpanId: p.spanId, kind: 2, serviceName: 'amaas-test', statusCode: 0 });
  expect(server.attributes).toEqual({
    'rpc.system': 'grpc',
    'rpc.service': 'amaas.v1.InferenceService',
    'rpc.method': 'Predict',
    'rpc.grpc.status_code': 0,
    'amaas.request_id': 'traced-predict-1',
    'amaas.model.name': 'scale',
    'amaas.model.version': '1',
  });
  expectQueueAndCompute(spans, server);
  expect(receiver.rejected).toBe(0);
});

it('a model with response_cache: amaas.cache.hit false with a compute span on a miss, true without one on a hit', async () => {
  const miss = parent();
  expect(await unary(v1, 'Predict', scalePredict('cached'), metadataWith({ traceparent: miss.traceparent }))).toBeNull();
  const missSpans = await spansOf(miss.traceId, 3);
  const missServer = one(missSpans, 'amaas.v1.InferenceService/Predict');
  expect(missServer.attributes['amaas.cache.hit']).toBe(false);
  expectQueueAndCompute(missSpans, missServer);

  const hit = parent();
  expect(await unary(v1, 'Predict', scalePredict('cached'), metadataWith({ traceparent: hit.traceparent }))).toBeNull();
  const hitSpans = await spansOf(hit.traceId, 2);
  const hitServer = one(hitSpans, 'amaas.v1.InferenceService/Predict');
  expect(hitServer.attributes['amaas.cache.hit']).toBe(true);
  const children = hitSpans.filter((s) => s.parentSpanId === hitServer.spanId).map((s) => s.name);
  expect(children).toEqual(['amaas.queue']);
});

it('ModelInfer: the incoming tracestate is kept; a failed call records its status and error code', async () => {
  const p = parent();
  const md = metadataWith({ traceparent: p.traceparent, tracestate: 'vendor=abc,other=1' });
  expect(await unary(oip.raw, 'ModelInfer', oipScale('oip-1'), md)).toBeNull();
  const server = one(await spansOf(p.traceId, 3), 'inference.GRPCInferenceService/ModelInfer');
  expect(server).toMatchObject({ parentSpanId: p.spanId, kind: 2, traceState: 'vendor=abc,other=1' });
  expect(server.attributes).toMatchObject({ 'rpc.service': 'inference.GRPCInferenceService', 'rpc.method': 'ModelInfer', 'amaas.model.name': 'scale' });

  const bad = parent();
  const err = await unary(oip.raw, 'ModelInfer', { ...oipScale('oip-2'), model_name: 'no_such_model' }, metadataWith({ traceparent: bad.traceparent }));
  expect(err?.code).toBe(grpc.status.NOT_FOUND);
  const failed = one(await spansOf(bad.traceId, 1), 'inference.GRPCInferenceService/ModelInfer');
  expect(failed.attributes).toMatchObject({ 'rpc.grpc.status_code': grpc.status.NOT_FOUND, 'amaas.error_code': expect.stringMatching(/^AMAAS_ERR_/) });
  // Never reached a version: no model, no queue or compute.
  expect(failed.attributes).not.toHaveProperty('amaas.model.name');
  expect(inTrace(bad.traceId)).toHaveLength(1);
});

it('REST infer with a traceparent header: an HTTP server span with the route template and status', async () => {
  const p = parent();
  const reply = await httpRequest(httpPort, 'POST', '/v2/models/scale/versions/1/infer', { traceparent: p.traceparent, 'x-request-id': 'rest-traced-1' }, scaleInferJson);
  expect(reply.status).toBe(200);
  const spans = await spansOf(p.traceId, 3);
  const server = one(spans, 'POST /v2/models/{model}/versions/{version}/infer');
  expect(server).toMatchObject({ parentSpanId: p.spanId, kind: 2 });
  expect(server.attributes).toEqual({
    'http.request.method': 'POST',
    'http.route': '/v2/models/{model}/versions/{version}/infer',
    'http.response.status_code': 200,
    'amaas.request_id': 'rest-traced-1',
    'amaas.model.name': 'scale',
    'amaas.model.version': '1',
  });
  expectQueueAndCompute(spans, server);
});

it('BatchPredict and ModelStreamInfer: each item gets its own span, a child of the stream span', async () => {
  const p = parent();
  const items = ['item-a', 'item-b'].map((id) => ({ request: { ...scalePredict(), id } }));
  const answers = await streamAll(v1.BatchPredict(metadataWith({ traceparent: p.traceparent })), items);
  expect(answers.map((a) => a.status.code)).toEqual([0, 0]);
  // The stream, 2 items, and a queue and a compute span under each item.
  const spans = await spansOf(p.traceId, 7);
  const stream = one(spans, 'amaas.v1.InferenceService/BatchPredict');
  expect(stream).toMatchObject({ parentSpanId: p.spanId, kind: 2 });
  expect(stream.attributes).toMatchObject({ 'rpc.method': 'BatchPredict', 'rpc.grpc.status_code': 0 });
  const itemSpans = spans.filter((s) => s.name === 'amaas.stream_item');
  expect(itemSpans.map((s) => s.attributes['amaas.request_id']).sort()).toEqual(['item-a', 'item-b']);
  for (const item of itemSpans) {
    expect(item.parentSpanId).toBe(stream.spanId);
    expect(item.attributes).toMatchObject({ 'amaas.model.name': 'scale', 'rpc.grpc.status_code': 0 });
    expectQueueAndCompute(spans, item);
  }

  const q = parent();
  await streamAll(oip.stream(metadataWith({ traceparent: q.traceparent })), [oipScale('s-1')]);
  const oipSpans = await spansOf(q.traceId, 4);
  const oipStream = one(oipSpans, 'inference.GRPCInferenceService/ModelStreamInfer');
  expect(one(oipSpans, 'amaas.stream_item')).toMatchObject({ parentSpanId: oipStream.spanId, attributes: expect.objectContaining({ 'amaas.request_id': 's-1' }) });
});

it('two requests merged into one batch: the batch span links to both requests’ spans', async () => {
  hold.hold();
  const first = parent();
  const firstCall = unary(v1, 'Predict', scalePredict(), metadataWith({ traceparent: first.traceparent }));
  await hold.waitHeld(1);
  // The worker holds the first; these two wait in the queue together and leave it as one batch.
  const [a, b] = [parent(), parent()];
  const merged = [a, b].map((p) => unary(v1, 'Predict', scalePredict(), metadataWith({ traceparent: p.traceparent })));
  await until(async () => (await scrape(metricsPort)).value('amaas_queue_depth', { model: 'scale', version: '1' }) === 2, 'two queued requests');
  hold.release();
  expect(await firstCall).toBeNull();
  expect(await Promise.all(merged)).toEqual([null, null]);

  const serverA = one(await spansOf(a.traceId, 3), 'amaas.v1.InferenceService/Predict');
  const serverB = one(await spansOf(b.traceId, 3), 'amaas.v1.InferenceService/Predict');
  const linksTo = (s: ReceivedSpan) => (batch: ReceivedSpan) => batch.links.some((l) => l.traceId === s.traceId && l.spanId === s.spanId);
  await until(() => receiver.named('amaas.batch').some(linksTo(serverA)), 'the batch span of the merged requests');
  const batch = receiver.named('amaas.batch').find(linksTo(serverA))!;
  expect(linksTo(serverB)(batch)).toBe(true);
  expect(batch.links).toHaveLength(2);
  expect(batch).toMatchObject({ parentSpanId: '', kind: 1 });
  expect(batch.attributes).toMatchObject({ 'amaas.batch.requests': 2, 'amaas.batch.rows': 2, 'amaas.model.name': 'scale', 'amaas.model.version': '1' });
  // Its own trace, not either request's.
  expect([a.traceId, b.traceId]).not.toContain(batch.traceId);
});

it('a caller’s unsampled traceparent is honoured: nothing of that call is exported', async () => {
  const dropped = parent('00');
  expect(await unary(v1, 'Predict', scalePredict(), metadataWith({ traceparent: dropped.traceparent }))).toBeNull();
  // A sampled call after it: once its spans are exported, anything of the earlier call would have been too.
  const later = parent();
  expect(await unary(v1, 'Predict', scalePredict(), metadataWith({ traceparent: later.traceparent }))).toBeNull();
  await spansOf(later.traceId, 3);
  expect(inTrace(dropped.traceId)).toHaveLength(0);
});

it('shutdown exports the spans still buffered before the process exits', async () => {
  const last = parent();
  expect(await unary(v1, 'Predict', scalePredict(), metadataWith({ traceparent: last.traceparent }))).toBeNull();
  p.child.kill('SIGTERM');
  expect(await p.exited).toBe(0);
  expect(inTrace(last.traceId).map((s) => s.name).sort()).toEqual(['amaas.compute', 'amaas.queue', 'amaas.v1.InferenceService/Predict']);
});
