/**
 * DynamicBatcher against a fake pool (the scheduler's unit tests may fake it; integration tests use the real one),
 * a clock the test moves and a timer the test fires: no sleeps, every step explicit.
 */
import { AmaasError } from '../../../src/errors';
import type { RunTask, TensorPayload } from '../../../src/pool/messages';
import { BatchRunner, BatchTimer, DynamicBatcher, DynamicBatcherOptions } from '../../../src/scheduling/dynamic-batcher';
import type { InferenceJob } from '../../../src/scheduling/scheduler';
import { pumpAtOnce } from '../../helpers/pump-at-once';

interface Call {
  readonly task: RunTask;
  readonly transferList: ArrayBuffer[];
  readonly resolve: (outputs: Record<string, TensorPayload>) => void;
  readonly reject: (err: unknown) => void;
}

/** Holds every run until the test answers it; answers as the model y = 2x + 1 would. */
class FakePool implements BatchRunner {
  readonly calls: Call[] = [];

  constructor(readonly instances = 1) {}

  run(task: RunTask, transferList: ArrayBuffer[]): Promise<Record<string, TensorPayload>> {
    return new Promise((resolve, reject) => this.calls.push({ task, transferList, resolve, reject }));
  }

  answer(i: number): void {
    const { task, resolve } = this.calls[i];
    const outputs: Record<string, TensorPayload> = {};
    for (const name of task.outputNames) {
      const x = task.inputs.x;
      outputs[name] = Array.isArray(x.data)
        ? { type: 'string', dims: x.dims, data: x.data.map((s) => s.toUpperCase()) }
        : { type: 'float32', dims: x.dims, data: Float32Array.from(x.data as Float32Array, (v) => 2 * v + 1) };
    }
    resolve(outputs);
  }

  rowsOfCall(i: number): number {
    return this.calls[i].task.inputs.x.dims[0];
  }
}

/** One pending wake-up at most (the batcher never keeps more); fire() runs it. */
class FakeTimer implements BatchTimer {
  pending: { callback: () => void; delayMs: number; id: number } | null = null;
  private nextId = 0;

  set(callback: () => void, delayMs: number): unknown {
    this.pending = { callback, delayMs, id: this.nextId++ };
    return this.pending.id;
  }

  clear(handle: unknown): void {
    if (this.pending?.id === handle) this.pending = null;
  }

  fire(): void {
    const p = this.pending;
    if (!p) throw new Error('no timer is set');
    this.pending = null;
    p.callback();
  }
}

/** `instances`: workers the fake pool has; a batch that could still grow waits while each has one. */
function setup(options: Partial<DynamicBatcherOptions> = {}, instances = 1) {
  const pool = new FakePool(instances);
  const timer = new FakeTimer();
  let now = 0;
  const batcher = new DynamicBatcher(pool, {
    turnEnd: pumpAtOnce,
    maxBatchSize: 8,
    maxQueueDelayMicroseconds: 500,
    preferredBatchSizes: [],
    maxQueueSize: 100,
    clock: () => now,
    timer,
    ...options,
  });
  return {
    pool,
    timer,
    batcher,
    advance(ms: number) {
      now += ms;
    },
  };
}

const rowsX = (rows: number, cols = 4, start = rows * 10): Float32Array =>
  Float32Array.from({ length: rows * cols }, (_, i) => start + i);

function job(data: Float32Array | string[], dims: number[], extra: Partial<InferenceJob> = {}): InferenceJob {
  const type = Array.isArray(data) ? 'string' : 'float32';
  return { inputs: { x: { type, dims, data } }, outputNames: ['y'], ...extra };
}

const fp32Job = (rows: number, cols = 4, extra: Partial<InferenceJob> = {}) => job(rowsX(rows, cols), [rows, cols], extra);

/** Lets promise callbacks run (no timers involved). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

async function rejection(p: Promise<unknown>): Promise<AmaasError> {
  try {
    await p;
  } catch (err) {
    return err as AmaasError;
  }
  throw new Error('expected a rejection');
}

describe('DynamicBatcher: merging', () => {
  it('merges requests that arrive within the delay into one run and gives each caller its own rows', async () => {
    const { pool, timer, batcher, advance } = setup();
    const inputs = [rowsX(1), rowsX(2), rowsX(3)];
    const results = inputs.map((x) => batcher.submit(job(x, [x.length / 4, 4])));
    expect(pool.calls).toHaveLength(0);
    expect(batcher.queued).toBe(3);
    expect(timer.pending?.delayMs).toBe(0.5);

    advance(0.5);
    timer.fire();
    expect(pool.calls).toHaveLength(1);
    expect(pool.calls[0].task.inputs.x.dims).toEqual([6, 4]);
    expect(batcher.queued).toBe(0);
    expect(batcher.running).toBe(3);
    pool.answer(0);

    const outputs = await Promise.all(results);
    outputs.forEach((o, i) => {
      expect(o.y.dims).toEqual([i + 1, 4]);
      expect(Array.from(o.y.data as Float32Array)).toEqual(Array.from(inputs[i], (v) => 2 * v + 1));
    });
    expect(batcher.stats).toEqual({ batches: 1, requests: 3, mergedRequests: 3, bytesCopied: 6 * 4 * 4 });
    expect(timer.pending).toBeNull();
  });

  it('hands a request that runs alone to the worker untouched: its own buffers, no copy', async () => {
    const { pool, timer, batcher, advance } = setup();
    let started = 0;
    const j = fp32Job(2, 4, { onStart: () => started++ });
    const result = batcher.submit(j);
    expect(started).toBe(0); // still queued
    advance(0.5);
    timer.fire();
    expect(started).toBe(1);
    // A lone request that already owns its buffers goes to the worker as it is: no copy.
    expect(pool.calls[0].task.inputs.x.data).toBe(j.inputs.x.data);
    expect(pool.calls[0].transferList).toEqual([(j.inputs.x.data as Float32Array).buffer]);
    pool.answer(0);
    await result;
    expect(batcher.stats).toEqual({ batches: 1, requests: 1, mergedRequests: 0, bytesCopied: 0 });
  });

  it('runs a batch as soon as it reaches max_batch_size, without waiting out the delay', () => {
    const { pool, batcher } = setup({ maxBatchSize: 4 });
    void batcher.submit(fp32Job(2));
    expect(pool.calls).toHaveLength(0);
    void batcher.submit(fp32Job(2));
    expect(pool.calls).toHaveLength(1);
    expect(pool.rowsOfCall(0)).toBe(4);
  });

  it('never puts more than max_batch_size rows in a batch; the overflow waits for the next', () => {
    const { pool, timer, batcher, advance } = setup({ maxBatchSize: 4, concurrency: 4 }, 2);
    void batcher.submit(fp32Job(3));
    void batcher.submit(fp32Job(3)); // 6 > 4: the first runs alone, now
    expect(pool.calls.map((_, i) => pool.rowsOfCall(i))).toEqual([3]);
    advance(0.5);
    timer.fire();
    expect(pool.calls.map((_, i) => pool.rowsOfCall(i))).toEqual([3, 3]);
  });

  it('runs a preferred batch size as soon as it is reached', () => {
    const { pool, batcher } = setup({ preferredBatchSizes: [3] });
    void batcher.submit(fp32Job(1));
    void batcher.submit(fp32Job(1));
    expect(pool.calls).toHaveLength(0);
    void batcher.submit(fp32Job(1));
    expect(pool.calls).toHaveLength(1);
    expect(pool.rowsOfCall(0)).toBe(3);
  });

  it('never merges requests whose non-batch dims or requested outputs differ', () => {
    const { pool, timer, batcher, advance } = setup({ concurrency: 8 }, 4);
    void batcher.submit(fp32Job(1, 4));
    void batcher.submit(fp32Job(1, 3));
    void batcher.submit(fp32Job(1, 4, { outputNames: ['z'] }));
    void batcher.submit(fp32Job(2, 4));
    advance(0.5);
    timer.fire();
    const shapes = pool.calls.map((c) => `${c.task.inputs.x.dims.join('x')}->${c.task.outputNames.join(',')}`);
    expect(shapes.sort()).toEqual(['1x3->y', '1x4->z', '3x4->y']);
  });

  it('runs a request whose inputs disagree on the first dimension alone, at once', () => {
    const { pool, batcher } = setup();
    const odd: InferenceJob = {
      inputs: { x: { type: 'float32', dims: [2, 4], data: rowsX(2) }, w: { type: 'float32', dims: [1, 4], data: rowsX(1) } },
      outputNames: ['y'],
    };
    void batcher.submit(fp32Job(1));
    void batcher.submit(odd);
    expect(pool.calls).toHaveLength(1);
    expect(pool.calls[0].task.inputs.x.data).toBe(odd.inputs.x.data);
    expect(pool.calls[0].task.inputs.w.data).toBe(odd.inputs.w.data);
  });

  it('merges BYTES (string) requests and splits their string outputs', async () => {
    const { pool, timer, batcher, advance } = setup();
    const a = batcher.submit(job(['a', 'b'], [2]));
    const b = batcher.submit(job(['héllo'], [1]));
    advance(0.5);
    timer.fire();
    expect(pool.calls[0].task.inputs.x).toEqual({ type: 'string', dims: [3], data: ['a', 'b', 'héllo'] });
    pool.answer(0);
    expect((await a).y).toEqual({ type: 'string', dims: [2], data: ['A', 'B'] });
    expect((await b).y).toEqual({ type: 'string', dims: [1], data: ['HÉLLO'] });
  });
});

describe('DynamicBatcher: failures, limits and cancellation', () => {
  it('gives every member of a merged batch the error of its run', async () => {
    const { pool, timer, batcher, advance } = setup();
    const results = [batcher.submit(fp32Job(1)), batcher.submit(fp32Job(2))];
    advance(0.5);
    timer.fire();
    const failure = new AmaasError('AMAAS_ERR_RUNTIME_FAILURE', 'onnxruntime failed to run the model: boom');
    pool.calls[0].reject(failure);
    for (const r of results) expect(await rejection(r)).toBe(failure);
    expect(batcher.running).toBe(0);
  });

  it('gives every member the error when the outputs cannot be split per request', async () => {
    const { pool, timer, batcher, advance } = setup();
    const results = [batcher.submit(fp32Job(1)), batcher.submit(fp32Job(2))];
    advance(0.5);
    timer.fire();
    pool.calls[0].resolve({ y: { type: 'float32', dims: [5], data: new Float32Array(5) } });
    for (const r of results) expect((await rejection(r)).code).toBe('AMAAS_ERR_RUNTIME_FAILURE');
  });

  it('holds a batch that could still grow while every worker has one, and merges what queued meanwhile', async () => {
    const { pool, batcher } = setup({ maxQueueDelayMicroseconds: 0 });
    const first = batcher.submit(fp32Job(1));
    for (let i = 0; i < 4; i++) void batcher.submit(fp32Job(1));
    // The one worker runs the first request; the other four wait for it, with no delay to wait out.
    expect(pool.calls).toHaveLength(1);
    expect(batcher.queued).toBe(4);
    pool.answer(0);
    await first;
    await settle();
    expect(pool.calls).toHaveLength(2);
    expect(pool.rowsOfCall(1)).toBe(4);
  });

  it('sends full batches at once, up to 2 x instances in the pool', () => {
    const { pool, batcher } = setup({ maxQueueDelayMicroseconds: 0, maxBatchSize: 2 });
    for (let i = 0; i < 7; i++) void batcher.submit(fp32Job(1));
    // 1 row at once (the worker was free), then one full batch of 2 to wait inside the pool; the rest queue.
    expect(pool.calls.map((_, i) => pool.rowsOfCall(i))).toEqual([1, 2]);
    expect(batcher.queued).toBe(4);
  });

  it('refuses requests beyond max_queue_size with AMAAS_ERR_QUEUE_FULL', async () => {
    const { batcher } = setup({ maxQueueSize: 2 });
    void batcher.submit(fp32Job(1));
    void batcher.submit(fp32Job(1));
    const err = await rejection(batcher.submit(fp32Job(1)));
    expect(err.code).toBe('AMAAS_ERR_QUEUE_FULL');
  });

  it('takes an aborted request out of the queue before it reaches a worker', async () => {
    const { pool, timer, batcher, advance } = setup();
    const controller = new AbortController();
    const kept = batcher.submit(fp32Job(1));
    const dropped = batcher.submit(fp32Job(2, 4, { signal: controller.signal }));
    const reason = new AmaasError('AMAAS_ERR_DEADLINE_EXCEEDED', 'the call deadline passed before the request ran');
    controller.abort(reason);
    expect(await rejection(dropped)).toBe(reason);
    expect(batcher.queued).toBe(1);
    advance(0.5);
    timer.fire();
    expect(pool.calls).toHaveLength(1);
    expect(pool.rowsOfCall(0)).toBe(1);
    pool.answer(0);
    await kept;
  });

  it('refuses a request whose signal is already aborted', async () => {
    const { batcher, pool } = setup();
    const controller = new AbortController();
    controller.abort(new AmaasError('AMAAS_ERR_CANCELLED', 'cancelled'));
    expect((await rejection(batcher.submit(fp32Job(1, 4, { signal: controller.signal })))).code).toBe('AMAAS_ERR_CANCELLED');
    expect(pool.calls).toHaveLength(0);
  });

  it('does not starve a group: a ready older group runs before a newer full one', async () => {
    const { pool, batcher, advance } = setup({ maxBatchSize: 2, concurrency: 1 });
    const first = batcher.submit(fp32Job(2, 4)); // full: runs now and fills the pool
    void batcher.submit(fp32Job(1, 3)); // another group, waiting for companions
    void batcher.submit(fp32Job(2, 4)); // full, but newer
    advance(1);
    pool.answer(0);
    await first;
    await settle();
    expect(pool.calls[1].task.inputs.x.dims).toEqual([1, 3]);
  });
});

describe('DynamicBatcher: stop', () => {
  it('runs queued requests without waiting out the delay, refuses new ones, and resolves when all are answered', async () => {
    const { pool, timer, batcher } = setup();
    const queued = batcher.submit(fp32Job(1));
    let stopped = false;
    const stopping = batcher.stop().then(() => (stopped = true));
    expect(pool.calls).toHaveLength(1);
    expect(timer.pending).toBeNull();
    expect((await rejection(batcher.submit(fp32Job(1)))).code).toBe('AMAAS_ERR_MODEL_UNAVAILABLE');
    await settle();
    expect(stopped).toBe(false);
    pool.answer(0);
    await queued;
    await stopping;
    expect(stopped).toBe(true);
  });
});
