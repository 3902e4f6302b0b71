/** DrainRate and admissionError on a clock the test moves: every number below is exact. */
import { AmaasError } from '../../../src/errors';
import { DrainRate, admissionError } from '../../../src/scheduling/drain-rate';

function setup(workers = 1, alpha = 0.5) {
  let now = 0;
  const drain = new DrainRate(workers, () => now, alpha);
  return {
    drain,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('DrainRate', () => {
  it('has no estimate before a run finishes (cold start)', () => {
    const { drain, advance } = setup();
    expect(drain.estimate(0)).toBeNull();
    const run = drain.started(1);
    advance(10);
    expect(drain.estimate(5)).toBeNull();
    expect(drain.unitsPerMs).toBeNull();
    drain.finished(run, true);
    expect(drain.estimate(0)).toEqual({ waitMs: 0, serviceMs: 10 });
    expect(drain.unitsPerMs).toBe(0.1);
  });

  it('follows the service time with an EWMA', () => {
    const { drain, advance } = setup(1, 0.5);
    for (const ms of [10, 20, 20]) {
      const run = drain.started(1);
      advance(ms);
      drain.finished(run, true);
    }
    // 10, then 10 + 0.5 x (20 - 10) = 15, then 15 + 0.5 x 5 = 17.5
    expect(drain.estimate(0)!.serviceMs).toBe(17.5);
    expect(drain.sampleCount).toBe(3);
  });

  it('measures a run that waited in the pool from when a worker freed, not from when it was handed over', () => {
    const { drain, advance } = setup(1);
    const a = drain.started(1);
    const b = drain.started(1); // the only worker is busy: b waits in the pool's queue
    advance(10);
    drain.finished(a, true); // b gets the worker now
    advance(10);
    drain.finished(b, true);
    expect(drain.estimate(0)!.serviceMs).toBe(10);
  });

  it('expected wait = work ahead / drain rate, with running work counted half done', () => {
    const { drain, advance } = setup(2, 1);
    const warm = drain.started(1);
    advance(8);
    drain.finished(warm, true); // 8 ms per job, 2 workers: 4 ms per job of drain
    expect(drain.estimate(0)).toEqual({ waitMs: 0, serviceMs: 8 }); // a worker is free and nothing is ahead
    expect(drain.estimate(3)!.waitMs).toBe(12); // 3 queued x 4 ms
    drain.started(1);
    drain.started(1); // both workers busy
    drain.started(1); // waiting in the pool
    // 3 queued + 1 waiting in the pool + 2 running x 1/2 = 5 jobs ahead, 4 ms each
    expect(drain.estimate(3)).toEqual({ waitMs: 20, serviceMs: 8 });
  });

  it('batches: rows are the unit, the drain rate is rows per batch over time per batch', () => {
    const { drain, advance } = setup(1, 1);
    const batch = drain.started(32);
    advance(16);
    drain.finished(batch, true); // 32 rows in 16 ms: 0.5 ms per row
    expect(drain.unitsPerMs).toBe(2);
    expect(drain.estimate(64)).toEqual({ waitMs: 32, serviceMs: 16 });
  });

  it('a failed run frees its worker without becoming a sample', () => {
    const { drain, advance } = setup(1);
    const a = drain.started(1);
    const b = drain.started(1);
    advance(1);
    drain.finished(a, false);
    expect(drain.estimate(0)).toBeNull();
    advance(7);
    drain.finished(b, true);
    expect(drain.estimate(0)).toEqual({ waitMs: 0, serviceMs: 7 });
  });
});

describe('admissionError', () => {
  const estimate = { waitMs: 40, serviceMs: 10 };

  it('admits jobs without a deadline, whatever the estimate', () => {
    expect(admissionError(estimate, undefined, 1000)).toBeNull();
    expect(admissionError({ waitMs: 1e9, serviceMs: 1e9 }, undefined, 1000)).toBeNull();
  });

  it('admits on a cold start (no estimate) while the deadline is ahead', () => {
    expect(admissionError(null, 1001, 1000)).toBeNull();
  });

  it('admits when wait + service fit before the deadline, and refuses when they would pass it', () => {
    expect(admissionError(estimate, 1050, 1000)).toBeNull();
    const err = admissionError(estimate, 1049, 1000);
    expect(err).toBeInstanceOf(AmaasError);
    // Load, not a passed deadline: RESOURCE_EXHAUSTED, with a hint of how much the queue ahead must shrink.
    expect(err!.code).toBe('AMAAS_ERR_OVERLOADED');
    expect(err!.message).toMatch(/expected wait 50\.0 ms, deadline in 49\.0 ms/);
    expect(err!.retry).toEqual({ delayMs: 1 });
  });

  it('refuses a deadline that has already passed, even with no estimate', () => {
    expect(admissionError(null, 1000, 1000)!.code).toBe('AMAAS_ERR_DEADLINE_EXCEEDED');
  });
});
