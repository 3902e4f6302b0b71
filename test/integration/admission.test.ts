/**
 * Deadline-aware admission against the real server. The workers are held by the test hook
 * (test/helpers/worker-hold.ts), so what the scheduler knows is set by the test, not by this machine's speed:
 * each run that teaches it the service time is held for at least HOLD_MS, which bounds its estimate from below;
 * work queued behind a held worker cannot finish until the test releases it. Then a call that the work ahead
 * would outlast is refused at admission, while that work is still held (so at once, not at its deadline), with
 * RESOURCE_EXHAUSTED and a retry hint (its deadline has not passed: this is load); a burst past capacity ends OK,
 * RESOURCE_EXHAUSTED or DEADLINE_EXCEEDED, never INTERNAL; and the server answers normally afterwards.
 */
import * as grpc from '@grpc/grpc-js';
import type { AmaasCallError } from '../../src/client/amaas-client';
import { PUSHBACK_METADATA_KEY, STATUS_DETAILS_METADATA_KEY, decodeStatusDetails } from '../../src/api/status-details';
import type { Scheduler } from '../../src/scheduling/scheduler';
import { makeRepository } from '../helpers/model-repository';
import { TestServer, startTestServer } from '../helpers/test-server';
import { WorkerHold } from '../helpers/worker-hold';
import { until } from '../helpers/until';

const ROWS = 64;
/** The least service time each teaching run has; a slower machine only makes it longer. */
const HOLD_MS = 200;
/**
 * Teaching runs per test. The estimate is an EWMA (weight 0.2 for the newest run), so after 8 runs of at least
 * HOLD_MS it is at least (1 - 0.8^8) = 0.83 x HOLD_MS, whatever the faster runs before them taught it.
 */
const TEACHING_RUNS = 8;
/** Deadline of the probes: far shorter than the work queued ahead (9.5 calls x >= 0.83 x HOLD_MS). */
const PROBE_DEADLINE_MS = 500;
/** Deadline of the burst: at 0.83 x HOLD_MS or more per call ahead, at most about 18 of 40 fit in it. */
const BURST_DEADLINE_MS = 3_000;
const CALLS = 40;
/** In-process, a call reaches the handler after the client has started its timer; the margin covers that. */
const MARGIN_MS = 50;
const x = Float32Array.from({ length: ROWS * 512 }, (_, i) => ((i % 13) - 6) / 6);
const inputs = { x: { data: x, dims: [ROWS, 512] } };

const hold = new WorkerHold();
let ts: TestServer;
let scheduler: Scheduler;

beforeAll(async () => {
  hold.install();
  const repo = await makeRepository([{ model: 'slow_mlp', config: { instances: 1, intra_op_threads: 1, max_queue_size: 100_000 } }]);
  ts = await startTestServer(repo, { deadline_margin_ms: MARGIN_MS });
  scheduler = ts.server.registry.get('slow_mlp')!.versions.get(1)!.ready!.scheduler;
});

afterAll(async () => {
  hold.release();
  await ts?.stop();
  hold.cleanup();
});

interface Outcome {
  readonly code: grpc.status;
  readonly message: string;
  readonly errorCode?: string;
  /** grpc-retry-pushback-ms, as sent. */
  readonly pushback?: string;
  /** RetryInfo.retry_delay decoded from grpc-status-details-bin, in ms. */
  readonly retryDelayMs?: number;
}

async function call(timeoutMs: number): Promise<Outcome> {
  try {
    await ts.client.predict('slow_mlp', inputs, { timeoutMs });
    return { code: grpc.status.OK, message: '' };
  } catch (err) {
    const e = err as AmaasCallError;
    const pushback = e.metadata?.get(PUSHBACK_METADATA_KEY)[0];
    const details = e.metadata?.get(STATUS_DETAILS_METADATA_KEY)[0];
    return {
      code: e.code,
      message: e.details ?? e.message,
      errorCode: e.errorCode,
      ...(pushback === undefined ? {} : { pushback: String(pushback) }),
      ...(details instanceof Buffer ? { retryDelayMs: decodeStatusDetails(details).retryDelayMs } : {}),
    };
  }
}

const isRefusal = (o: Outcome) => o.code === grpc.status.RESOURCE_EXHAUSTED && /expected wait .* ms, deadline in .* ms/.test(o.message);
const inScheduler = () => scheduler.queued + scheduler.running;

/** Teaches the scheduler a service time of at least 0.83 x HOLD_MS: runs held that long in their worker. */
async function teachSlowService(): Promise<void> {
  for (let i = 0; i < TEACHING_RUNS; i++) {
    hold.hold();
    const answer = call(60_000);
    await hold.waitHeld(1);
    await new Promise((r) => setTimeout(r, HOLD_MS));
    hold.release();
    expect((await answer).code).toBe(grpc.status.OK);
  }
}

afterEach(async () => {
  hold.release();
  // The server still answers a normal request.
  expect((await call(60_000)).code).toBe(grpc.status.OK);
});

it('refuses at once, with RESOURCE_EXHAUSTED and a retry hint, a call that the work queued ahead would outlast', async () => {
  await teachSlowService();
  hold.hold();
  const background = Array.from({ length: 10 }, () => call(60_000));
  await until(() => inScheduler() === 10, 'the 10 background calls in the scheduler');
  await hold.waitHeld(1);

  const probes: Outcome[] = [];
  for (let i = 0; i < 3; i++) probes.push(await call(PROBE_DEADLINE_MS));
  // Answered while every call ahead is still held: the refusal came at admission, not at the deadline.
  expect(inScheduler()).toBe(10);
  for (const o of probes) {
    expect(o).toEqual({
      code: grpc.status.RESOURCE_EXHAUSTED,
      message: expect.stringMatching(/expected wait .* ms, deadline in .* ms/),
      errorCode: 'AMAAS_ERR_OVERLOADED',
      pushback: expect.stringMatching(/^[1-9][0-9]*$/),
      retryDelayMs: expect.any(Number),
    });
    // The trailer grpc-js honours and the RetryInfo say the same thing.
    expect(o.retryDelayMs).toBe(Number(o.pushback));
  }

  hold.release();
  const outcomes = await Promise.all(background);
  expect(outcomes.map((o) => o.code)).toEqual(outcomes.map(() => grpc.status.OK));
});

it('a burst past capacity with short deadlines: every call ends OK, RESOURCE_EXHAUSTED or DEADLINE_EXCEEDED from the server, none INTERNAL', async () => {
  await teachSlowService();
  hold.hold();
  const settled: Outcome[] = [];
  const burst = Array.from({ length: CALLS }, () => call(BURST_DEADLINE_MS).then((o) => (settled.push(o), o)));
  // Every call has been admitted (and waits behind the held worker) or refused.
  await until(() => inScheduler() + settled.length === CALLS, 'every call of the burst admitted or refused');
  const refusedWhileHeld = settled.filter(isRefusal).length;
  hold.release();
  const outcomes = await Promise.all(burst);

  const codes = new Set(outcomes.map((o) => o.code));
  expect([...codes].filter((c) => c !== grpc.status.OK && c !== grpc.status.RESOURCE_EXHAUSTED && c !== grpc.status.DEADLINE_EXCEEDED)).toEqual([]);
  // The first call finds the worker free and is admitted; with >= 0.83 x HOLD_MS per call ahead, most others are not.
  expect(outcomes.filter((o) => o.code === grpc.status.OK).length).toBeGreaterThan(0);
  expect(refusedWhileHeld).toBeGreaterThanOrEqual(CALLS / 2);
});
