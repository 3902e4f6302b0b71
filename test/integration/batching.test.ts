/**
 * Dynamic batching against the real server and real workers: concurrent requests merge into fewer session runs,
 * every caller still gets exactly its own rows, a model that cannot batch refuses a config asking it to, and
 * max_batch_size: 0 turns batching off.
 */
import * as grpc from '@grpc/grpc-js';
import type { AmaasCallError } from '../../src/client/amaas-client';
import type { Scheduler } from '../../src/scheduling/scheduler';
import { DynamicBatcher } from '../../src/scheduling/dynamic-batcher';
import { UnbatchedScheduler } from '../../src/scheduling/unbatched-scheduler';
import { makeRepository, modelPath } from '../helpers/model-repository';
import { releaseDirectSessions, runDirect, values } from '../helpers/ort-direct';
import { TestServer, startTestServer } from '../helpers/test-server';
import { WorkerHold } from '../helpers/worker-hold';
import { until } from '../helpers/until';

let repo: string;
let ts: TestServer;
/** Holds the workers while a burst queues, so the burst is certainly merged, whatever the machine's speed. */
const hold = new WorkerHold();

beforeAll(async () => {
  hold.install();
  repo = await makeRepository([
    // Default batching (max_batch_size 32, no delay): nothing in its config.
    { model: 'mlp' },
    // Batching with a delay and a larger batch: merged requests are each copied once.
    { model: 'mlp', name: 'mlp_patient', config: { max_batch_size: 64, dynamic_batching: { max_queue_delay_microseconds: 50_000 } } },
    { model: 'mlp', name: 'mlp_unbatched', config: { max_batch_size: 0 } },
    { model: 'string_echo' },
    { model: 'fixed_shape' },
    { model: 'fixed_shape', name: 'fixed_batched', config: { max_batch_size: 4 } },
  ]);
  ts = await startTestServer(repo);
});

afterAll(async () => {
  hold.release();
  await ts?.stop();
  await releaseDirectSessions();
  hold.cleanup();
});

/** Sends the calls while the workers are held, and releases them once every call has reached the scheduler. */
async function heldBurst<T>(scheduler: Scheduler, calls: Array<() => Promise<T>>): Promise<T[]> {
  hold.hold();
  try {
    const answers = Promise.all(calls.map((c) => c()));
    await until(() => scheduler.queued + scheduler.running === calls.length, `all ${calls.length} calls in the scheduler`);
    hold.release();
    return await answers;
  } finally {
    hold.release();
  }
}

function schedulerOf(model: string): Scheduler {
  const ready = ts.server.registry.get(model)?.versions.get(1)?.ready;
  if (!ready) throw new Error(`${model} is not ready`);
  return ready.scheduler;
}

function batcherOf(model: string): DynamicBatcher {
  const s = schedulerOf(model);
  if (!(s instanceof DynamicBatcher)) throw new Error(`${model} does not batch`);
  return s;
}

async function failureOf(p: Promise<unknown>): Promise<AmaasCallError> {
  try {
    await p;
  } catch (err) {
    return err as AmaasCallError;
  }
  throw new Error('expected the call to fail');
}

const input = (rows: number, seed: number) => Float32Array.from({ length: rows * 64 }, (_, j) => (((seed * 131 + j) % 23) - 11) / 4);

describe('dynamic batching on mlp', () => {
  it('answers 64 concurrent Predicts of different row counts with fewer session runs, each equal to onnxruntime on its own input', async () => {
    const batcher = batcherOf('mlp');
    const before = { ...batcher.stats };
    const rows = Array.from({ length: 64 }, (_, i) => (i % 4) + 1);
    const inputs = rows.map((r, i) => input(r, i));
    const expected = await Promise.all(
      inputs.map((x, i) => runDirect(modelPath(repo, 'mlp'), { x: { type: 'float32', dims: [rows[i], 64], data: x } })),
    );

    const results = await heldBurst(
      batcher,
      inputs.map((x, i) => () => ts.client.predict('mlp', { x: { data: x, dims: [rows[i], 64] } }, { id: `r${i}` })),
    );

    results.forEach((r, i) => {
      expect(r.id).toBe(`r${i}`);
      expect(r.outputs.logits.dims).toEqual([rows[i], 10]);
      const got = values(r.outputs.logits.data) as number[];
      const want = expected[i].logits.values as number[];
      expect(got).toHaveLength(want.length);
      // A row's logits may round differently in a batch of another height (MLAS picks kernels by size).
      got.forEach((v, k) => expect(v).toBeCloseTo(want[k], 4));
    });
    const runs = batcher.stats.batches - before.batches;
    expect(batcher.stats.requests - before.requests).toBe(64);
    expect(runs).toBeLessThan(64);
    expect(batcher.stats.mergedRequests - before.mergedRequests).toBeGreaterThan(0);
    expect(batcher.queued).toBe(0);
    expect(batcher.running).toBe(0);
  });

  it('copies each merged request\'s input bytes exactly once on the batched path', async () => {
    const batcher = batcherOf('mlp_patient');
    const before = { ...batcher.stats };
    const bytesPerRequest = 2 * 64 * 4;
    const results = await heldBurst(
      batcher,
      Array.from({ length: 16 }, (_, i) => () => ts.client.predict('mlp_patient', { x: { data: input(2, i), dims: [2, 64] } })),
    );
    expect(results).toHaveLength(16);
    const merged = batcher.stats.mergedRequests - before.mergedRequests;
    const copied = batcher.stats.bytesCopied - before.bytesCopied;
    expect(merged).toBeGreaterThan(1);
    expect(batcher.stats.batches - before.batches).toBeLessThan(16);
    // Per merged request: its own input, once (the concatenation). Requests that ran alone cost no copy.
    expect(copied / merged).toBe(bytesPerRequest);
  });

  it('refuses a request with more rows than an explicit max_batch_size with INVALID_ARGUMENT', async () => {
    const err = await failureOf(ts.client.predict('mlp_patient', { x: { data: input(65, 0), dims: [65, 64] } }));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.errorCode).toBe('AMAAS_ERR_SHAPE_MISMATCH');
    expect(err.details).toMatch(/max_batch_size 64/);
  });

  it('runs a request larger than the default batch size alone instead of refusing it', async () => {
    const x = input(100, 5);
    const expected = await runDirect(modelPath(repo, 'mlp'), { x: { type: 'float32', dims: [100, 64], data: x } });
    const r = await ts.client.predict('mlp', { x: { data: x, dims: [100, 64] } });
    expect(values(r.outputs.logits.data)).toEqual(expected.logits.values);
  });

  it('merges BYTES (string) requests and gives each its own strings back', async () => {
    const texts = Array.from({ length: 12 }, (_, i) => Array.from({ length: (i % 3) + 1 }, (_, k) => `req ${i} élément ${k}`));
    const results = await Promise.all(texts.map((t) => ts.client.predict('string_echo', { text: { data: t, dims: [t.length] } })));
    results.forEach((r, i) => expect(values(r.outputs.text_out.data)).toEqual(texts[i]));
    expect(schedulerOf('string_echo')).toBeInstanceOf(DynamicBatcher);
  });
});

describe('batching configuration', () => {
  it('max_batch_size: 0 turns batching off and lifts the row limit', async () => {
    expect(schedulerOf('mlp_unbatched')).toBeInstanceOf(UnbatchedScheduler);
    const x = input(100, 3);
    const expected = await runDirect(modelPath(repo, 'mlp'), { x: { type: 'float32', dims: [100, 64], data: x } });
    const r = await ts.client.predict('mlp_unbatched', { x: { data: x, dims: [100, 64] } });
    expect(values(r.outputs.logits.data)).toEqual(expected.logits.values);
  });

  it('a model that cannot batch serves unbatched when its config does not ask for batching', async () => {
    expect(schedulerOf('fixed_shape')).toBeInstanceOf(UnbatchedScheduler);
    const r = await ts.client.predict('fixed_shape', { x: { data: new Float32Array([1, 2, 3, 4, 5, 6]), dims: [2, 3] } });
    expect(values(r.outputs.y.data)).toEqual([1, 4, 9, 16, 25, 36]);
  });

  it('a model that cannot batch, with batching asked for, is UNAVAILABLE with the reason', async () => {
    const version = ts.server.registry.get('fixed_batched')!.versions.get(1)!;
    expect(version.state).toBe('UNAVAILABLE');
    expect(version.reason).toMatch(/cannot be batched/);
    expect(version.reason).toMatch(/input 'x' has shape \[2,3\]/);
    expect(version.reason).toMatch(/max_batch_size: 0/);
    const err = await failureOf(ts.client.predict('fixed_batched', { x: { data: new Float32Array(6), dims: [2, 3] } }));
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(err.details).toMatch(/cannot be batched/);
  });
});

describe('copies on the data path', () => {
  // Raw inputs reach the scheduler as views of the gRPC receive buffer; the one copy is made either while
  // concatenating a batch or, for a request that runs alone, into a buffer of its own. Never both.
  it.each([
    ['merged into batches', 'mlp_patient'],
    ['run alone, batching off', 'mlp_unbatched'],
  ])('each raw input byte is copied exactly once when %s', async (_how, model) => {
    const scheduler = schedulerOf(model);
    const before = scheduler.bytesCopied;
    const rows = [1, 2, 3, 4, 1, 2, 3, 4];
    await Promise.all(rows.map((r) => ts.client.predict(model, { x: { data: new Float32Array(r * 64).fill(0.5), dims: [r, 64] } })));
    const sent = rows.reduce((n, r) => n + r * 64 * 4, 0);
    expect(scheduler.bytesCopied - before).toBe(sent);
  });
});
