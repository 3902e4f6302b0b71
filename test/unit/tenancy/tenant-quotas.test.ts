import { AmaasError } from '../../../src/errors';
import { TenantQuotas, TokenBucket } from '../../../src/tenancy';

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

function refusal(fn: () => unknown): AmaasError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AmaasError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('TokenBucket', () => {
  it('starts full, refuses past its capacity and says how long until a token returns', () => {
    const b = new TokenBucket(10, 3, 0);
    for (let i = 0; i < 3; i++) {
      expect(b.waitMs(1, 0)).toBe(0);
      b.take(1);
    }
    expect(b.waitMs(1, 0)).toBeCloseTo(100);
    expect(b.waitMs(1, 40)).toBeCloseTo(60);
    expect(b.waitMs(1, 100)).toBe(0);
  });

  it('never holds more than its capacity after a quiet spell', () => {
    const b = new TokenBucket(10, 2, 0);
    expect(b.level(60_000)).toBe(2);
  });

  it('lets a take larger than the bucket pass once it is full, leaving it in debt', () => {
    const b = new TokenBucket(100, 100, 0);
    expect(b.waitMs(250, 0)).toBe(0);
    b.take(250);
    expect(b.level(0)).toBe(-150);
    // The debt and then a full bucket must refill before the next such take: 2.5 s at 100 per second.
    expect(b.waitMs(250, 0)).toBeCloseTo(2500);
    expect(b.waitMs(250, 2500)).toBe(0);
  });

  it('adds nothing when the clock steps back', () => {
    const b = new TokenBucket(10, 1, 1000);
    b.take(1);
    expect(b.level(500)).toBe(0);
    expect(b.waitMs(1, 1050)).toBeCloseTo(50);
  });
});

describe('TenantQuotas', () => {
  it('admits a tenant without limits every time', () => {
    const q = new TenantQuotas(manualClock().now);
    for (let i = 0; i < 1000; i++) q.admit({ name: 'free', limits: {} }, 64).release();
  });

  it('refuses past requests_per_second and burst with AMAAS_ERR_RATE_LIMITED, a hint and the limit named', () => {
    const clock = manualClock();
    const q = new TenantQuotas(clock.now);
    const acme = { name: 'acme', limits: { requestsPerSecond: 4, burst: 2 } };
    q.admit(acme, 1);
    q.admit(acme, 1);
    const e = refusal(() => q.admit(acme, 1));
    expect(e.code).toBe('AMAAS_ERR_RATE_LIMITED');
    expect(e.message).toContain('tenant acme');
    expect(e.message).toContain('4 requests per second (burst 2)');
    expect(e.retry).toEqual({ delayMs: 250, quota: { subject: 'tenant:acme', description: 'requests_per_second 4, burst 2' } });
    clock.advance(249);
    expect(refusal(() => q.admit(acme, 1)).retry?.delayMs).toBe(1);
    clock.advance(1);
    q.admit(acme, 1);
  });

  it('refuses past rows_per_second, and a refusal takes from neither bucket', () => {
    const clock = manualClock();
    const q = new TenantQuotas(clock.now);
    const t = { name: 'rows', limits: { requestsPerSecond: 100, burst: 100, rowsPerSecond: 10 } };
    q.admit(t, 8);
    const e = refusal(() => q.admit(t, 8));
    expect(e.code).toBe('AMAAS_ERR_RATE_LIMITED');
    expect(e.message).toContain('10 rows per second (this request has 8)');
    expect(e.retry?.delayMs).toBe(600);
    expect(e.retry?.quota?.description).toBe('rows_per_second 10');
    // The refused request took no request token: 99 more single-row requests... only 2 rows are left.
    q.admit(t, 2);
    expect(refusal(() => q.admit(t, 1)).message).toContain('rows per second');
  });

  it('caps requests in flight at max_concurrent until one is released; release is idempotent', () => {
    const q = new TenantQuotas(manualClock().now);
    const t = { name: 'busy', limits: { maxConcurrent: 2 } };
    const a = q.admit(t, 1);
    const b = q.admit(t, 1);
    const e = refusal(() => q.admit(t, 1));
    expect(e.code).toBe('AMAAS_ERR_CONCURRENCY_LIMIT');
    expect(e.message).toContain('tenant busy already has 2 requests in flight');
    expect(e.retry?.quota).toEqual({ subject: 'tenant:busy', description: 'max_concurrent 2' });
    expect(e.retry!.delayMs).toBeGreaterThanOrEqual(1);
    a.release();
    a.release();
    expect(q.inFlight('busy')).toBe(1);
    q.admit(t, 1);
    expect(() => q.admit(t, 1)).toThrow(AmaasError);
    b.release();
  });

  it('keeps limits per tenant: one tenant over its limit does not refuse another', () => {
    const q = new TenantQuotas(manualClock().now);
    const a = { name: 'a', limits: { requestsPerSecond: 1, burst: 1 } };
    const b = { name: 'b', limits: { requestsPerSecond: 1, burst: 1 } };
    q.admit(a, 1);
    expect(() => q.admit(a, 1)).toThrow(AmaasError);
    q.admit(b, 1);
  });

  it('applies new limits (a tenants-file reload) at the next request', () => {
    const clock = manualClock();
    const q = new TenantQuotas(clock.now);
    q.admit({ name: 'acme', limits: { requestsPerSecond: 1, burst: 1 } }, 1);
    expect(() => q.admit({ name: 'acme', limits: { requestsPerSecond: 1, burst: 1 } }, 1)).toThrow(AmaasError);
    const raised = { name: 'acme', limits: { requestsPerSecond: 1000, burst: 3 } };
    for (let i = 0; i < 3; i++) q.admit(raised, 1);
    expect(refusal(() => q.admit(raised, 1)).message).toContain('1000 requests per second (burst 3)');
    // Same settings in a new object (a reload that changed another tenant): the bucket is not refilled.
    expect(() => q.admit({ name: 'acme', limits: { requestsPerSecond: 1000, burst: 3 } }, 1)).toThrow(AmaasError);
    // Limits removed: no refusal.
    for (let i = 0; i < 10; i++) q.admit({ name: 'acme', limits: {} }, 1);
  });
});
