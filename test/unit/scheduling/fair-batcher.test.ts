/**
 * Both schedulers take their next work in fair-queuing order: against a fake pool that holds every run until
 * the test answers it, and a clock the test moves. One job held in the pool lets the queue build; answering it
 * lets the next batch form from exactly what is queued. Each row's value names its tenant.
 */
import type { AmaasError } from '../../../src/errors';
import type { RunTask, TensorPayload } from '../../../src/pool/messages';
import { BatchRunner, BatchTimer, DynamicBatcher, DynamicBatcherOptions } from '../../../src/scheduling/dynamic-batcher';
import type { InferenceJob, JobTenant, Priority } from '../../../src/scheduling/scheduler';
import { UnbatchedScheduler } from '../../../src/scheduling/unbatched-scheduler';
import { pumpAtOnce } from '../../helpers/pump-at-once';

class HoldingPool implements BatchRunner {
  readonly instances = 1;
  readonly calls: { task: RunTask; resolve: (o: Record<string, TensorPayload>) => void }[] = [];

  run(task: RunTask): Promise<Record<string, TensorPayload>> {
    return new Promise((resolve) => this.calls.push({ task, resolve }));
  }

  /** Answers run i with its own input as output (y = x). */
  answer(i: number): void {
    const { task, resolve } = this.calls[i];
    resolve({ y: task.inputs.x });
  }

  /** The tenant code of every row of run i, in order. */
  rowsOf(i: number): number[] {
    return Array.from(this.calls[i].task.inputs.x.data as Float32Array);
  }
}

const NO_TIMER: BatchTimer = { set: () => null, clear: () => undefined };
const settle = () => new Promise((resolve) => setImmediate(resolve));

function tenant(name: string, weight = 1, priority: Priority = 'normal', maxQueued?: number): JobTenant {
  return { name, weight, priority, ...(maxQueued === undefined ? {} : { maxQueued }) };
}

/** A one-row job whose only value is `code`, for `who`. */
function job(code: number, who?: JobTenant): InferenceJob {
  return { inputs: { x: { type: 'float32', dims: [1, 1], data: Float32Array.of(code) } }, outputNames: ['y'], ...(who ? { tenant: who } : {}) };
}

function count(codes: number[], code: number): number {
  return codes.filter((c) => c === code).length;
}

function setup(options: Partial<DynamicBatcherOptions> = {}) {
  const pool = new HoldingPool();
  let now = 0;
  const batcher = new DynamicBatcher(pool, {
    turnEnd: pumpAtOnce,
    maxBatchSize: 8,
    maxQueueDelayMicroseconds: 0,
    preferredBatchSizes: [],
    maxQueueSize: 1000,
    concurrency: 1,
    clock: () => now,
    timer: NO_TIMER,
    ...options,
  });
  // The held run: everything after it queues.
  void batcher.submit(job(0));
  expect(pool.calls).toHaveLength(1);
  return {
    pool,
    batcher,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const A = tenant('a', 1);
const B = tenant('b', 3);

describe('DynamicBatcher: fair scheduling', () => {
  it('fills a batch 1:3 in rows from two backlogged tenants of weights 1 and 3', async () => {
    const { pool, batcher } = setup();
    for (let i = 0; i < 40; i++) void batcher.submit(job(1, A));
    for (let i = 0; i < 40; i++) void batcher.submit(job(2, B));
    for (let batch = 1; batch <= 4; batch++) {
      pool.answer(batch - 1);
      await settle();
      const rows = pool.rowsOf(batch);
      expect(rows).toHaveLength(8);
      expect(count(rows, 1)).toBe(2);
      expect(count(rows, 2)).toBe(6);
    }
  });

  it('with fair: false serves first come first served, whoever asks', async () => {
    const { pool, batcher } = setup({ fair: false });
    for (let i = 0; i < 40; i++) void batcher.submit(job(1, A));
    for (let i = 0; i < 40; i++) void batcher.submit(job(2, B));
    pool.answer(0);
    await settle();
    expect(pool.rowsOf(1)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('puts a high-priority arrival first in the next batch', async () => {
    const { pool, batcher } = setup();
    for (let i = 0; i < 40; i++) void batcher.submit(job(1, A));
    void batcher.submit(job(3, tenant('c', 1, 'high')));
    pool.answer(0);
    await settle();
    expect(pool.rowsOf(1)[0]).toBe(3);
  });

  it('lets an aged low-priority request in once its wait lifts it (injected clock)', async () => {
    const { pool, batcher, advance } = setup({ priorityAgingMs: 100, maxBatchSize: 1 });
    void batcher.submit(job(4, tenant('b', 1, 'low')));
    advance(1);
    for (let i = 0; i < 40; i++) void batcher.submit(job(1, A));
    pool.answer(0);
    await settle();
    // Not yet aged: normal work goes first.
    expect(pool.rowsOf(1)).toEqual([1]);
    // Two aging steps make it high: ahead of every normal request.
    advance(200);
    pool.answer(1);
    await settle();
    expect(pool.rowsOf(2)).toEqual([4]);
  });

  it("refuses a tenant past its own queue cap with AMAAS_ERR_QUEUE_FULL while others still queue", async () => {
    const { batcher } = setup();
    const capped = tenant('a', 1, 'normal', 2);
    void batcher.submit(job(1, capped));
    void batcher.submit(job(1, capped));
    const err = (await batcher.submit(job(1, capped)).catch((e: unknown) => e)) as AmaasError;
    expect(err.code).toBe('AMAAS_ERR_QUEUE_FULL');
    expect(err.message).toContain("tenant 'a'");
    expect(batcher.queued).toBe(2);
    void batcher.submit(job(2, B));
    expect(batcher.queued).toBe(3);
  });

  it('applies max_queue_size to each tenant as well as to the version', async () => {
    const { batcher } = setup({ maxQueueSize: 3 });
    for (let i = 0; i < 3; i++) void batcher.submit(job(1, A));
    const err = (await batcher.submit(job(2, B)).catch((e: unknown) => e)) as AmaasError;
    expect(err.code).toBe('AMAAS_ERR_QUEUE_FULL');
  });

  it('answers an aborted queued request at once and never runs it', async () => {
    const { pool, batcher } = setup();
    const controller = new AbortController();
    const aborted = batcher.submit({ ...job(1, A), signal: controller.signal });
    void batcher.submit(job(2, B));
    controller.abort(new Error('gone'));
    await expect(aborted).rejects.toThrow('gone');
    pool.answer(0);
    await settle();
    expect(pool.rowsOf(1)).toEqual([2]);
  });
});

describe('UnbatchedScheduler: fair scheduling', () => {
  it('alternates 1:3 between tenants of weights 1 and 3, one job at a time', async () => {
    const pool = new HoldingPool();
    const scheduler = new UnbatchedScheduler(pool, 1000, { concurrency: 1, clock: () => 0 });
    void scheduler.submit(job(0));
    for (let i = 0; i < 20; i++) void scheduler.submit(job(1, A));
    for (let i = 0; i < 20; i++) void scheduler.submit(job(2, B));
    const served: number[] = [];
    for (let i = 0; i < 8; i++) {
      pool.answer(i);
      await settle();
      served.push(...pool.rowsOf(i + 1));
    }
    expect(count(served, 1)).toBe(2);
    expect(count(served, 2)).toBe(6);
  });

  it('refuses a tenant past its queue cap', async () => {
    const pool = new HoldingPool();
    const scheduler = new UnbatchedScheduler(pool, 1000, { concurrency: 1 });
    void scheduler.submit(job(0));
    const capped = tenant('a', 1, 'normal', 1);
    void scheduler.submit(job(1, capped));
    const err = (await scheduler.submit(job(1, capped)).catch((e: unknown) => e)) as AmaasError;
    expect(err.code).toBe('AMAAS_ERR_QUEUE_FULL');
  });
});
