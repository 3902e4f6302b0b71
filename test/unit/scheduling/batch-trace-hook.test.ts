/**
 * The DynamicBatcher's batch trace hook (DynamicBatcherOptions.traceBatch): called once per launched batch that
 * has a traced member, with exactly the traced members' handles (opaque to scheduling) and the batch's request and
 * row counts, and its end told whether the run failed; a batch with no traced member never calls it. Fake pool
 * and clock; no sleeps.
 */
import type { RunTask, TensorPayload } from '../../../src/pool/messages';
import type { BatchClosedBy } from '../../../src/scheduling/batch-policy';
import { DynamicBatcher } from '../../../src/scheduling/dynamic-batcher';
import type { InferenceJob } from '../../../src/scheduling/scheduler';
import { pumpAtOnce } from '../../helpers/pump-at-once';

class HeldPool {
  readonly instances = 1;
  readonly pending: { task: RunTask; resolve: (o: Record<string, TensorPayload>) => void; reject: (e: unknown) => void }[] = [];
  run(task: RunTask): Promise<Record<string, TensorPayload>> {
    return new Promise((resolve, reject) => this.pending.push({ task, resolve, reject }));
  }
  answerAll(): void {
    for (const p of this.pending.splice(0)) p.resolve({ y: p.task.inputs.x });
  }
  failAll(): void {
    for (const p of this.pending.splice(0)) p.reject(new Error('worker died'));
  }
}

const job = (rows: number, trace?: object): InferenceJob => ({
  inputs: { x: { type: 'float32', dims: [rows, 2], data: new Float32Array(rows * 2) } },
  outputNames: ['y'],
  trace,
});

const settle = () => new Promise((resolve) => setImmediate(resolve));

interface Call {
  traces: readonly unknown[];
  requests: number;
  rows: number;
  closedBy: BatchClosedBy;
  ended: boolean[];
}

function setup() {
  const pool = new HeldPool();
  const calls: Call[] = [];
  const batcher = new DynamicBatcher(pool, {
    turnEnd: pumpAtOnce,
    maxBatchSize: 3,
    maxQueueDelayMicroseconds: 0,
    preferredBatchSizes: [],
    maxQueueSize: 100,
    clock: () => 0,
    traceBatch: (traces, requests, rows, closedBy) => {
      const call: Call = { traces, requests, rows, closedBy, ended: [] };
      calls.push(call);
      return (failed) => call.ended.push(failed);
    },
  });
  return { pool, batcher, calls };
}

it('hands a merged batch’s traced members to the hook once, and ends it when the run answers', async () => {
  const t = setup();
  const a = { name: 'a' };
  const b = { name: 'b' };
  // The first runs alone (the worker was free); the next three make a full batch, which goes at once.
  const first = t.batcher.submit(job(1, a));
  const merged = [t.batcher.submit(job(1, b)), t.batcher.submit(job(1)), t.batcher.submit(job(1, a))];
  await settle();
  expect(t.calls).toHaveLength(2);
  expect(t.calls[0]).toMatchObject({ traces: [a], requests: 1, rows: 1, ended: [] });
  expect(t.calls[1]).toMatchObject({ traces: [b, a], requests: 3, rows: 3, closedBy: 'full', ended: [] });
  t.pool.answerAll();
  await Promise.all([first, ...merged]);
  expect(t.calls.map((c) => c.ended)).toEqual([[false], [false]]);
});

it('tells the hook a failed run, and never calls it for a batch with no traced member', async () => {
  const t = setup();
  const untraced = t.batcher.submit(job(2));
  await settle();
  expect(t.pool.pending).toHaveLength(1);
  expect(t.calls).toHaveLength(0);
  t.pool.answerAll();
  await untraced;
  const traced = t.batcher.submit(job(1, {})).catch((e: Error) => e.message);
  await settle();
  t.pool.failAll();
  expect(await traced).toBe('worker died');
  expect(t.calls).toHaveLength(1);
  expect(t.calls[0].ended).toEqual([true]);
});
