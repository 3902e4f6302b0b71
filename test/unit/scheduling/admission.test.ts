/**
 * Deadline-aware admission in both schedulers, against a fake pool and one clock the test moves (monotonic
 * and wall clock alike): a job whose expected wait and run would pass its deadline is refused at once,
 * before it takes a queue slot; a cold scheduler admits; a job without a deadline is never refused by it.
 */
import type { AmaasError } from '../../../src/errors';
import type { RunTask, TensorPayload } from '../../../src/pool/messages';
import { BatchTimer, DynamicBatcher } from '../../../src/scheduling/dynamic-batcher';
import type { InferenceJob, Scheduler } from '../../../src/scheduling/scheduler';
import { UnbatchedScheduler } from '../../../src/scheduling/unbatched-scheduler';
import { pumpAtOnce } from '../../helpers/pump-at-once';

/** Holds every run until the test answers it; answers with the input as output. */
class HeldPool {
  readonly instances = 1;
  readonly calls: { task: RunTask; resolve: (o: Record<string, TensorPayload>) => void }[] = [];

  run(task: RunTask): Promise<Record<string, TensorPayload>> {
    return new Promise((resolve) => this.calls.push({ task, resolve }));
  }

  answer(i: number): void {
    const { task, resolve } = this.calls[i];
    resolve({ y: task.inputs.x });
  }
}

/** The batchers here never wait out a delay (0 µs); a wake-up, if any, is never needed. */
const NO_TIMER: BatchTimer = { set: () => null, clear: () => undefined };

const T0 = 1_700_000_000_000;

function clock() {
  let now = T0;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function job(rows: number, deadline?: number): InferenceJob {
  const data = new Float32Array(rows * 4);
  return { inputs: { x: { type: 'float32', dims: [rows, 4], data } }, outputNames: ['y'], deadline };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Settles `p` and says how: 'pending', 'ok' or the rejection's error. */
function track(p: Promise<unknown>): { readonly state: 'pending' | 'ok' | AmaasError } {
  const t: { state: 'pending' | 'ok' | AmaasError } = { state: 'pending' };
  p.then(
    () => (t.state = 'ok'),
    (err: AmaasError) => (t.state = err),
  );
  return t;
}

async function expectRejectedAtOnce(scheduler: Scheduler, j: InferenceJob, message: RegExp, passed = false): Promise<void> {
  const queued = scheduler.queued;
  const t = track(scheduler.submit(j));
  expect(scheduler.queued).toBe(queued); // no queue slot taken
  await settle(); // no time passes: the rejection is immediate
  if (passed) expect(t.state).toMatchObject({ code: 'AMAAS_ERR_DEADLINE_EXCEEDED', message: expect.stringMatching(message) });
  // The deadline is still ahead: a refusal for load (RESOURCE_EXHAUSTED) with a retry hint.
  else expect(t.state).toMatchObject({ code: 'AMAAS_ERR_OVERLOADED', message: expect.stringMatching(message), retry: { delayMs: expect.any(Number) } });
}

/** An UnbatchedScheduler over a HeldPool, on one clock the test moves. */
function heldUnbatched() {
  const pool = new HeldPool();
  const c = clock();
  const scheduler = new UnbatchedScheduler(pool, 100, { clock: c.now, wallClock: c.now });
  return { pool, scheduler, ...c };
}

/** A DynamicBatcher over a HeldPool, on one clock the test moves; every 4-row job is a full batch. */
function heldBatcher() {
  const pool = new HeldPool();
  const c = clock();
  const batcher = new DynamicBatcher(pool, {
    turnEnd: pumpAtOnce,
    // Every 4-row job is a full batch, so each goes to the pool as soon as there is room.
    maxBatchSize: 4,
    maxQueueDelayMicroseconds: 0,
    preferredBatchSizes: [],
    maxQueueSize: 100,
    clock: c.now,
    wallClock: c.now,
    timer: NO_TIMER,
  });
  return { pool, batcher, ...c };
}

describe('UnbatchedScheduler: admission by expected wait', () => {
  const setup = heldUnbatched;

  it('admits on a cold start, even with a deadline the first job could not meet', async () => {
    const { pool, scheduler, now } = setup();
    const t = track(scheduler.submit(job(1, now() + 1)));
    expect(pool.calls).toHaveLength(1);
    pool.answer(0);
    await settle();
    expect(t.state).toBe('ok');
  });

  it('admits while the queue ahead leaves time, refuses at once when it would outlast the deadline, never refuses a job without one', async () => {
    const { pool, scheduler, now, advance } = setup();
    const warm = track(scheduler.submit(job(1)));
    advance(10);
    pool.answer(0); // one job took 10 ms
    await settle();
    expect(warm.state).toBe('ok');
    expect(scheduler.drain.estimate(0)).toEqual({ waitMs: 0, serviceMs: 10 });

    // Idle: a job that fits its deadline is admitted and runs at once.
    track(scheduler.submit(job(1, now() + 50)));
    expect(pool.calls).toHaveLength(2);
    // Four more without deadlines: one waits in the pool, three queue; none is refused.
    for (let i = 0; i < 4; i++) track(scheduler.submit(job(1)));
    expect(scheduler.queued).toBe(3);
    expect(scheduler.running).toBe(2);

    // Ahead: 3 queued + 1 in the pool's queue + 1 running (half done) = 4.5 jobs x 10 ms, plus its own 10 ms.
    await expectRejectedAtOnce(scheduler, job(1, now() + 54), /expected wait 55\.0 ms, deadline in 54\.0 ms/);
    expect(pool.calls).toHaveLength(3);
    track(scheduler.submit(job(1, now() + 55)));
    expect(scheduler.queued).toBe(4);
    // However long the queue, a job without a deadline is admitted.
    for (let i = 0; i < 20; i++) track(scheduler.submit(job(1)));
    expect(scheduler.queued).toBe(24);
  });

  it('a deadline already passed is refused at once, cold or not', async () => {
    const { scheduler, now } = setup();
    await expectRejectedAtOnce(scheduler, job(1, now()), /deadline in 0\.0 ms/, true);
  });
});

describe('DynamicBatcher: admission by expected wait', () => {
  const setup = heldBatcher;

  it('admits on a cold start', async () => {
    const { pool, batcher, now } = setup();
    const t = track(batcher.submit(job(4, now() + 1)));
    expect(pool.calls).toHaveLength(1);
    pool.answer(0);
    await settle();
    expect(t.state).toBe('ok');
  });

  it('estimates from time per batch and rows per batch, and refuses at once what would outlast the deadline', async () => {
    const { pool, batcher, now, advance } = setup();
    track(batcher.submit(job(4)));
    advance(8);
    pool.answer(0); // a batch of 4 rows took 8 ms: 2 ms per row
    await settle();
    expect(batcher.drain.unitsPerMs).toBe(0.5);

    // Three 4-row jobs without deadlines: one runs, one waits in the pool, one queues.
    for (let i = 0; i < 3; i++) track(batcher.submit(job(4)));
    expect(pool.calls).toHaveLength(3);
    expect(batcher.queued).toBe(1);

    // Rows ahead: 4 queued + 4 in the pool's queue + 4 running (half done) = 10 rows x 2 ms, plus one batch's 8 ms.
    await expectRejectedAtOnce(batcher, job(4, now() + 27), /expected wait 28\.0 ms, deadline in 27\.0 ms/);
    expect(pool.calls).toHaveLength(3);
    track(batcher.submit(job(4, now() + 28)));
    expect(batcher.queued).toBe(2);
    for (let i = 0; i < 20; i++) track(batcher.submit(job(4)));
    expect(batcher.queued).toBe(22);
  });
});

/**
 * The launch-time check (drain-rate.ts lateForRun): a job admitted with time to spare can use it up in the queue.
 * When its turn comes with less time left than the pool's wait plus one run, it is answered DEADLINE_EXCEEDED and
 * never handed to the pool; a job with time enough is handed over as usual.
 */
describe('both schedulers: a job too late to finish its run is answered at launch, without a run', () => {
  it('UnbatchedScheduler', async () => {
    const { pool, scheduler, now, advance } = heldUnbatched();
    const warm = track(scheduler.submit(job(1)));
    advance(10);
    pool.answer(0); // one run takes 10 ms
    await settle();
    expect(warm.state).toBe('ok');

    const first = track(scheduler.submit(job(1))); // runs
    track(scheduler.submit(job(1))); // waits in the pool
    // Ahead: 1 in the pool's queue + 1 running (half done) = 1.5 runs, plus its own: 25 ms of its 40. Admitted.
    const late = track(scheduler.submit(job(1, now() + 40)));
    const inTime = track(scheduler.submit(job(1, now() + 1000)));
    expect(scheduler.queued).toBe(2);

    advance(30); // the first run took 30 ms, so the late job's turn comes with 10 ms left
    pool.answer(1);
    await settle();
    expect(first.state).toBe('ok');
    // The mean run is now 14 ms, and the run ahead in the pool is half done: 7 + 14 = 21 ms > 10 ms left.
    expect(late.state).toMatchObject({
      code: 'AMAAS_ERR_DEADLINE_EXCEEDED',
      message: expect.stringMatching(/deadline would pass before its run finished: 10\.0 ms left, a run takes about 21\.0 ms/),
    });
    // The next one, with time left, took the freed place in the pool; the late one never got there.
    expect(pool.calls).toHaveLength(4);
    expect(scheduler.queued).toBe(0);
    expect(inTime.state).toBe('pending');
    pool.answer(2);
    pool.answer(3);
    await settle();
    expect(inTime.state).toBe('ok');
  });

  it('DynamicBatcher: only the late member of a batch is answered; the rest of the batch runs', async () => {
    const { pool, batcher, now, advance } = heldBatcher();
    track(batcher.submit(job(4)));
    advance(8);
    pool.answer(0); // a 4-row batch takes 8 ms
    await settle();

    const first = track(batcher.submit(job(4))); // runs
    track(batcher.submit(job(4))); // waits in the pool
    // Two 2-row jobs that will merge into one batch: one with 40 ms left, one with plenty.
    const late = track(batcher.submit(job(2, now() + 40)));
    const inTime = track(batcher.submit(job(2, now() + 1000)));
    expect(batcher.queued).toBe(2);

    advance(30);
    pool.answer(1);
    await settle();
    expect(first.state).toBe('ok');
    // Mean run 0.8 x 8 + 0.2 x 30 = 12.4 ms; the run ahead is half done: 6.2 + 12.4 = 18.6 ms > 10 ms left.
    expect(late.state).toMatchObject({
      code: 'AMAAS_ERR_DEADLINE_EXCEEDED',
      message: expect.stringMatching(/10\.0 ms left, a run takes about 18\.6 ms/),
    });
    // The batch went to the pool with the in-time member's 2 rows only.
    expect(pool.calls).toHaveLength(4);
    expect(pool.calls[3].task.inputs.x.dims).toEqual([2, 4]);
    pool.answer(2);
    pool.answer(3);
    await settle();
    expect(inTime.state).toBe('ok');
  });

  it('a job without a deadline, or on a cold start, is always handed over', async () => {
    const { pool, scheduler, now } = heldUnbatched();
    // Cold: no estimate yet, so even a deadline 1 ms away runs.
    const cold = track(scheduler.submit(job(1, now() + 1)));
    expect(pool.calls).toHaveLength(1);
    pool.answer(0);
    await settle();
    expect(cold.state).toBe('ok');
  });
});
