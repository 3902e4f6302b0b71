/** ModelStatistics with the response cache, in Triton's meanings: hits are successes, never inferences or runs. */
import { ModelStatistics } from '../../../src/service/model-statistics';

it('counts hits in success, queue and cache_hit, misses in cache_miss, and only runs in the inference counts', () => {
  const stats = new ModelStatistics();
  stats.record('m', 1, { ok: true, batchSize: 4, totalNs: 1000n, queueNs: 100n, computeNs: 800n, cache: { hit: false, ns: 30n } });
  stats.record('m', 1, { ok: true, batchSize: 4, totalNs: 50n, queueNs: 0n, cache: { hit: true, ns: 20n } });
  stats.record('m', 1, { ok: true, batchSize: 4, totalNs: 700n, queueNs: 650n, cache: { hit: true, ns: 10n } });
  stats.record('m', 1, { ok: false, batchSize: 4, totalNs: 5n });
  const s = stats.get('m', 1);
  expect(s.success).toEqual({ count: 3n, ns: 1750n });
  expect(s.fail).toEqual({ count: 1n, ns: 5n });
  expect(s.queue).toEqual({ count: 3n, ns: 750n });
  expect(s.computeInfer).toEqual({ count: 1n, ns: 800n });
  expect(s.cacheHit).toEqual({ count: 2n, ns: 30n });
  expect(s.cacheMiss).toEqual({ count: 1n, ns: 30n });
  expect(s.inferenceCount).toBe(4n);
  expect(s.executionCount).toBe(1n);
});

it('leaves cache_hit and cache_miss at zero for a model without a cache', () => {
  const stats = new ModelStatistics();
  stats.record('m', 1, { ok: true, batchSize: 1, totalNs: 10n, queueNs: 1n, computeNs: 9n });
  expect(stats.get('m', 1)).toMatchObject({ cacheHit: { count: 0n, ns: 0n }, cacheMiss: { count: 0n, ns: 0n }, executionCount: 1n });
});
