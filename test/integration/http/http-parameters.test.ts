/**
 * The REST binding reads the Open Inference Protocol's request `parameters` as ModelInfer does: `timeout`
 * (microseconds) bounds the wait of a queued request, and `priority` orders it (capped by the tenant's: the
 * implicit tenant is normal, so a request may lower its priority, not raise it). The model's one worker is held
 * (test/helpers/worker-hold.ts), so the queue is the same on any machine and nothing depends on speed.
 */
import type { Scheduler } from '../../../src/scheduling/scheduler';
import { makeRepository } from '../../helpers/model-repository';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { until } from '../../helpers/until';
import { WorkerHold } from '../../helpers/worker-hold';

const hold = new WorkerHold();
let ts: TestServer;
let base: string;

beforeAll(async () => {
  hold.install();
  // Unbatched, one worker: one request per run, so the order of answers is the order of service.
  const repo = await makeRepository([{ model: 'scale', name: 'held', config: { instances: 1, max_batch_size: 0 } }]);
  ts = await startTestServer(repo, { http_port: 0 });
  base = `http://127.0.0.1:${ts.server.httpPort}`;
});

afterAll(async () => {
  hold.release();
  await ts?.stop();
  hold.cleanup();
});

const schedulerOf = (): Scheduler => ts.server.registry.get('held')!.versions.get(1)!.ready!.scheduler;

function infer(parameters?: Record<string, unknown>): Promise<{ status: number; body: { error?: string; outputs?: unknown[] } }> {
  const body = { ...(parameters ? { parameters } : {}), inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] };
  return fetch(`${base}/v2/models/held/infer`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }).then(
    async (res) => ({ status: res.status, body: (await res.json()) as { error?: string; outputs?: unknown[] } }),
  );
}

/** Holds the worker with one request running and one ready in the pool; returns them. */
async function fillThePool(): Promise<Promise<unknown>[]> {
  hold.hold();
  const first = infer();
  await hold.waitHeld(1);
  const second = infer();
  await until(() => schedulerOf().running === 2 && schedulerOf().queued === 0, 'a second request ready in the pool');
  return [first, second];
}

it('answers a queued request 504 when its `timeout` passes, while the worker is still held', async () => {
  const inPool = await fillThePool();
  try {
    // 50 ms in microseconds; the hold lasts until this answer is in, so only the timeout can end the wait.
    const answer = await infer({ timeout: 50_000 });
    expect(answer.status).toBe(504);
    expect(answer.body.error).toMatch(/the request's timeout \(50 ms\) passed before it ran/);
    expect(schedulerOf().queued).toBe(0);
  } finally {
    hold.release();
  }
  for (const r of await Promise.all(inPool)) expect((r as { status: number }).status).toBe(200);
});

it('serves `priority` 3 (low) after requests that leave the priority normal', async () => {
  const inPool = await fillThePool();
  const order: string[] = [];
  const calls: Promise<void>[] = [];
  const call = (label: string, parameters?: Record<string, unknown>) =>
    calls.push(
      infer(parameters).then((a) => {
        expect(a.status).toBe(200);
        order.push(label);
      }),
    );
  for (let i = 0; i < 3; i++) call('low', { priority: 3 });
  await until(() => schedulerOf().queued === 3, 'the low-priority requests queued');
  call('normal');
  call('normal', { priority: 'high' }); // capped at the implicit tenant's normal
  await until(() => schedulerOf().queued === 5, 'the normal requests queued');
  hold.release();
  await Promise.all([...calls, ...inPool]);
  expect(order).toEqual(['normal', 'normal', 'low', 'low', 'low']);
});

it('refuses a `priority` that is neither a level nor a name, 400, naming the parameter', async () => {
  const answer = await infer({ priority: 'urgent' });
  expect(answer.status).toBe(400);
  expect(answer.body.error).toMatch(/parameter 'priority' as a string must be high, normal or low/);
  const negative = await infer({ timeout: -1 });
  expect(negative.status).toBe(400);
  expect(negative.body.error).toMatch(/parameter 'timeout' must be a non-negative int64/);
});
