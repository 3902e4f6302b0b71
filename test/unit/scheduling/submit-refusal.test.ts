import { AmaasError } from '../../../src/errors';
import { submitRefusal } from '../../../src/scheduling/submit-refusal';

const job = { inputs: {}, outputNames: ['y'] };
const base = { stopping: false, queued: 0, maxQueueSize: 4, now: 1000, estimate: () => null };

describe('submitRefusal: refusals for load carry a retry hint', () => {
  it("a full version queue: AMAAS_ERR_QUEUE_FULL, retry after about one run's time", () => {
    const e = submitRefusal(job, { ...base, queued: 4, estimate: () => ({ waitMs: 80, serviceMs: 12.3 }) }) as AmaasError;
    expect(e.code).toBe('AMAAS_ERR_QUEUE_FULL');
    expect(e.retry).toEqual({ delayMs: 13 });
    // Before any run has ended there is no estimate: a short fixed wait.
    expect((submitRefusal(job, { ...base, queued: 4 }) as AmaasError).retry).toEqual({ delayMs: 10 });
  });

  it("a tenant's full share of the queue: the same code and hint, the tenant named", () => {
    const e = submitRefusal(job, { ...base, queued: 2, tenant: { name: 'acme', queued: 2, cap: 2 } }) as AmaasError;
    expect(e.code).toBe('AMAAS_ERR_QUEUE_FULL');
    expect(e.message).toContain("tenant 'acme'");
    expect(e.retry).toEqual({ delayMs: 10 });
  });

  it('admission: OVERLOADED with a hint while the deadline is ahead, DEADLINE_EXCEEDED without one once it passed', () => {
    const estimate = () => ({ waitMs: 40, serviceMs: 10 });
    const ahead = submitRefusal({ ...job, deadline: 1030 }, { ...base, estimate }) as AmaasError;
    expect(ahead.code).toBe('AMAAS_ERR_OVERLOADED');
    // 50 ms expected, 30 ms left: the queue ahead must shrink by 20 ms of work.
    expect(ahead.retry).toEqual({ delayMs: 20 });
    const passed = submitRefusal({ ...job, deadline: 1000 }, { ...base, estimate }) as AmaasError;
    expect(passed.code).toBe('AMAAS_ERR_DEADLINE_EXCEEDED');
    expect(passed.retry).toBeUndefined();
    expect(submitRefusal({ ...job, deadline: 2000 }, { ...base, estimate })).toBeNull();
  });
});
