/** BatchPolicy alone: row counts in, a decision out, time moved by hand through the injected clock. */
import { BatchPolicy, BatchPolicyOptions } from '../../../src/scheduling/batch-policy';

function policyAt(options: Partial<BatchPolicyOptions> = {}) {
  let now = 1000;
  const policy = new BatchPolicy(
    { maxBatchSize: 8, maxQueueDelayMicroseconds: 500, preferredBatchSizes: [], ...options },
    () => now,
  );
  return {
    policy,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('BatchPolicy', () => {
  it('waits for companions until the oldest request has waited the delay, then closes everything that fits', () => {
    const { policy, advance } = policyAt();
    expect(policy.decide([1, 2], 1000)).toEqual({ close: false, readyAt: 1000.5 });
    advance(0.25);
    expect(policy.decide([1, 2], 1000).close).toBe(false);
    advance(0.25);
    expect(policy.decide([1, 2], 1000)).toEqual({ close: true, take: 2, rows: 3, reason: 'delay' });
  });

  it('with no delay closes at once', () => {
    const { policy } = policyAt({ maxQueueDelayMicroseconds: 0 });
    expect(policy.decide([3], 1000)).toEqual({ close: true, take: 1, rows: 3, reason: 'delay' });
  });

  it('closes without waiting when the rows reach max_batch_size exactly', () => {
    const { policy } = policyAt();
    expect(policy.decide([4, 4, 1], 1000)).toEqual({ close: true, take: 2, rows: 8, reason: 'full' });
  });

  it('closes what fits when the next request would overflow, leaving that request for the next batch', () => {
    const { policy } = policyAt();
    expect(policy.decide([3, 3, 3], 1000)).toEqual({ close: true, take: 2, rows: 6, reason: 'full' });
  });

  it('runs a request larger than the batch alone rather than never', () => {
    const { policy } = policyAt();
    expect(policy.decide([20, 1], 1000)).toEqual({ close: true, take: 1, rows: 20, reason: 'full' });
  });

  it('closes at the largest preferred size that a prefix of the queue reaches, before the delay', () => {
    const { policy } = policyAt({ preferredBatchSizes: [2, 4] });
    expect(policy.decide([1], 1000).close).toBe(false);
    expect(policy.decide([1, 1], 1000)).toEqual({ close: true, take: 2, rows: 2, reason: 'preferred' });
    expect(policy.decide([1, 1, 1, 1, 1], 1000)).toEqual({ close: true, take: 4, rows: 4, reason: 'preferred' });
    // 3 rows is no preferred size and the delay is not over: keep waiting.
    expect(policy.decide([3], 1000).close).toBe(false);
  });

  it('flushes whatever fits when asked (stopping, or a request that cannot merge)', () => {
    const { policy } = policyAt();
    expect(policy.decide([2, 2], 1000, true)).toEqual({ close: true, take: 2, rows: 4, reason: 'flush' });
    expect(policy.decide([5, 5], 1000, true)).toEqual({ close: true, take: 1, rows: 5, reason: 'full' });
  });

  it('counts requests of zero rows without letting them block a batch', () => {
    const { policy } = policyAt();
    expect(policy.decide([0, 8, 0], 1000)).toEqual({ close: true, take: 2, rows: 8, reason: 'full' });
  });

  it('has nothing to close for an empty group', () => {
    const { policy } = policyAt();
    expect(policy.decide([], 1000)).toEqual({ close: false, readyAt: Number.POSITIVE_INFINITY });
  });

  it('refuses a max_batch_size of 0 (batching off never builds a policy)', () => {
    expect(() => new BatchPolicy({ maxBatchSize: 0, maxQueueDelayMicroseconds: 0, preferredBatchSizes: [] }, () => 0)).toThrow(
      RangeError,
    );
  });
});
