/**
 * BatchPredict: every item answered exactly once, failures reported per item without ending the stream,
 * and flow control that keeps the server's memory bounded when the client reads slowly.
 */
import * as grpc from '@grpc/grpc-js';
import type { BatchItem } from '../../src/client/amaas-client';
import { makeRepository } from '../helpers/model-repository';
import { TestServer, startTestServer } from '../helpers/test-server';

const WINDOW = 32;
let ts: TestServer;

beforeAll(async () => {
  // runtime_failure fails every run, so its warm-up is off: it must load and fail per item.
  const repo = await makeRepository([{ model: 'scale' }, { model: 'runtime_failure', config: { warmup: { generated: false } } }]);
  ts = await startTestServer(repo, { stream_window: WINDOW });
});

afterAll(() => ts.stop());

const ROWS = 1024; // 16 KiB in and 16 KiB out per item: 10,000 unbounded items would hold over 300 MiB

function item(i: number): BatchItem {
  const x = new Float32Array(ROWS * 4);
  x.fill(i % 1000);
  return { id: `item-${i}`, model: 'scale', inputs: { x: { data: x, dims: [ROWS, 4] } } };
}

async function* items(n: number): AsyncGenerator<BatchItem> {
  for (let i = 0; i < n; i++) yield item(i);
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('answers 10,000 items exactly once with a slow reader, keeping memory and in-flight work bounded', async () => {
  const scheduler = ts.server.registry.resolve('scale', 0).scheduler;
  const usage = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const baseline = usage();
  let peakMemory = 0;
  let peakInFlight = 0;
  const sampler = setInterval(() => {
    peakMemory = Math.max(peakMemory, usage() - baseline);
    peakInFlight = Math.max(peakInFlight, scheduler.queued + scheduler.running);
  }, 5);

  const seen = new Map<string, number>();
  let wrong = 0;
  let received = 0;
  for await (const r of ts.client.batchPredict(items(10_000))) {
    seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
    if (!r.ok) throw new Error(`item ${r.id} failed: ${r.message}`);
    const i = Number(r.id.slice(5));
    const y = r.result.outputs.y.data as Float32Array;
    if (y.length !== ROWS * 4 || y[0] !== 2 * (i % 1000) + 1 || y[y.length - 1] !== 2 * (i % 1000) + 1) wrong++;
    // The slow reader: a pause every 100 responses makes the server's writes back up.
    if (++received % 100 === 0) await delay(15);
  }
  clearInterval(sampler);

  expect(seen.size).toBe(10_000);
  expect([...seen.values()].every((n) => n === 1)).toBe(true);
  expect(wrong).toBe(0);
  expect(peakInFlight).toBeLessThanOrEqual(WINDOW);
  // Unbounded buffering would hold hundreds of MiB here; flow control keeps it to the window plus transport buffers.
  expect(peakMemory).toBeLessThan(96 * 1024 * 1024);
}, 120_000);

it('reports a failed item on its own response and goes on with the stream', async () => {
  const list: BatchItem[] = [
    item(1),
    { id: 'unknown-model', model: 'nope', inputs: { x: { data: new Float32Array(4), dims: [1, 4] } } },
    { id: 'bad-shape', model: 'scale', inputs: { x: { data: new Float32Array(3), dims: [1, 3] } } },
    { id: 'runtime', model: 'runtime_failure', inputs: { x: { data: new Float32Array(4), dims: [1, 4] } } },
    item(2),
  ];
  const results = new Map<string, any>();
  for await (const r of ts.client.batchPredict(list)) results.set(r.id, r);
  expect(results.size).toBe(5);
  expect(results.get('item-1').ok).toBe(true);
  expect(results.get('item-2').ok).toBe(true);
  expect(results.get('unknown-model')).toMatchObject({ ok: false, code: grpc.status.NOT_FOUND, errorCode: 'AMAAS_ERR_MODEL_NOT_FOUND' });
  expect(results.get('bad-shape')).toMatchObject({ ok: false, code: grpc.status.INVALID_ARGUMENT, errorCode: 'AMAAS_ERR_SHAPE_MISMATCH' });
  expect(results.get('runtime')).toMatchObject({ ok: false, code: grpc.status.INTERNAL, errorCode: 'AMAAS_ERR_RUNTIME_FAILURE' });
});

it('an empty stream ends cleanly', async () => {
  const results = [];
  for await (const r of ts.client.batchPredict([])) results.push(r);
  expect(results).toEqual([]);
});
