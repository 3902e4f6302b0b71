/**
 * Why a batch closed, as amaas_batches_total's closed_by reports it: the mapping from the policy's reasons, and
 * the DynamicBatcher's onBatch hook telling each launch's rows and reason (fake pool, clock and timer; no sleeps).
 */
import type { RunTask, TensorPayload } from '../../../src/pool/messages';
import { BatchClosedBy, closedBy } from '../../../src/scheduling/batch-policy';
import { BatchTimer, DynamicBatcher, DynamicBatcherOptions } from '../../../src/scheduling/dynamic-batcher';
import type { InferenceJob } from '../../../src/scheduling/scheduler';
import { pumpAtOnce } from '../../helpers/pump-at-once';

describe('closedBy', () => {
  it('maps the policy reasons to full, delay and idle', () => {
    expect(closedBy('full', 500)).toBe('full');
    expect(closedBy('preferred', 500)).toBe('full');
    expect(closedBy('delay', 500)).toBe('delay');
    expect(closedBy('flush', 500)).toBe('idle');
    // No delay configured: the batch went because a worker was free, not because a wait ran out.
    expect(closedBy('delay', 0)).toBe('idle');
    expect(closedBy('full', 0)).toBe('full');
  });
});

class HeldPool {
  readonly instances = 1;
  readonly pending: { task: RunTask; resolve: (o: Record<string, TensorPayload>) => void }[] = [];
  run(task: RunTask): Promise<Record<string, TensorPayload>> {
    return new Promise((resolve) => this.pending.push({ task, resolve }));
  }
  answerAll(): void {
    for (const p of this.pending.splice(0)) p.resolve({ y: p.task.inputs.x });
  }
}

class ManualTimer implements BatchTimer {
  callback: (() => void) | null = null;
  set(callback: () => void): unknown {
    this.callback = callback;
    return 1;
  }
  clear(): void {
    this.callback = null;
  }
}

const job = (rows: number): InferenceJob => ({
  inputs: { x: { type: 'float32', dims: [rows, 2], data: new Float32Array(rows * 2) } },
  outputNames: ['y'],
});
const settle = () => new Promise((resolve) => setImmediate(resolve));

function setup(options: Partial<DynamicBatcherOptions>) {
  const pool = new HeldPool();
  const timer = new ManualTimer();
  const seen: [number, BatchClosedBy][] = [];
  let now = 0;
  const batcher = new DynamicBatcher(pool, {
    turnEnd: pumpAtOnce,
    maxBatchSize: 4,
    maxQueueDelayMicroseconds: 1000,
    preferredBatchSizes: [],
    maxQueueSize: 100,
    clock: () => now,
    timer,
    onBatch: (rows, why) => seen.push([rows, why]),
    ...options,
  });
  return { pool, timer, batcher, seen, advance: (ms: number) => (now += ms) };
}

describe('DynamicBatcher onBatch', () => {
  it('reports a batch that filled up as full, and one whose delay ran out as delay', async () => {
    const t = setup({});
    const first = [t.batcher.submit(job(2)), t.batcher.submit(job(2))];
    expect(t.seen).toEqual([[4, 'full']]);
    t.pool.answerAll();
    await Promise.all(first);
    const late = t.batcher.submit(job(1));
    expect(t.seen).toHaveLength(1);
    t.advance(1);
    t.timer.callback!();
    expect(t.seen).toEqual([
      [4, 'full'],
      [1, 'delay'],
    ]);
    t.pool.answerAll();
    await late;
  });

  it('reports a batch launched with no delay configured as idle', async () => {
    const t = setup({ maxQueueDelayMicroseconds: 0 });
    const p = t.batcher.submit(job(3));
    await settle();
    expect(t.seen).toEqual([[3, 'idle']]);
    t.pool.answerAll();
    await p;
  });
});
