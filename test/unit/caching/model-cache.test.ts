/**
 * One model's cache without a server: LRU by bytes, single flight, and what a failure of the running request
 * does to the requests waiting for it. `compute` is a promise the test settles, so nothing here waits on time.
 */
import { ModelCache } from '../../../src/caching';
import { dataTypeByName } from '../../../src/codec/dtypes';
import type { Tensor } from '../../../src/codec/tensor-codec';
import { AmaasError } from '../../../src/errors';
import type { ServingVersion } from '../../../src/repository/model-version';

const owner = (version = 1) => ({ model: 'm', version }) as unknown as ServingVersion;
const answer = (n: number, values = 4): Tensor[] => [
  { name: 'y', datatype: dataTypeByName('FP32')!, shape: [1, values], data: new Float32Array(values).fill(n) },
];

/** A compute the test resolves or rejects, counting its calls. */
function held() {
  let calls = 0;
  let settle: { resolve: (t: Tensor[]) => void; reject: (e: unknown) => void } | null = null;
  const compute = () => {
    calls++;
    return new Promise<Tensor[]>((resolve, reject) => (settle = { resolve, reject }));
  };
  return {
    compute,
    get calls() {
      return calls;
    },
    resolve: (t: Tensor[]) => settle!.resolve(t),
    reject: (e: unknown) => settle!.reject(e),
  };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('ModelCache', () => {
  it('answers a repeated key from the entry, with the same bytes', async () => {
    const cache = new ModelCache('m', 1 << 20);
    const v = owner();
    const first = await cache.serve(v, 'k', undefined, async () => answer(7));
    const again = await cache.serve(v, 'k', undefined, () => Promise.reject(new Error('must not run')));
    expect(first.cache.hit).toBe(false);
    expect(again.cache.hit).toBe(true);
    expect(Buffer.from((again.outputs[0].data as Float32Array).buffer)).toEqual(Buffer.from((first.outputs[0].data as Float32Array).buffer));
    expect(cache.entries).toBe(1);
  });

  it('stores a view into a larger buffer as a copy of its own bytes', async () => {
    const cache = new ModelCache('m', 1 << 20);
    const batch = new Float32Array(1024).fill(1);
    const view: Tensor = { name: 'y', datatype: dataTypeByName('FP32')!, shape: [1, 4], data: batch.subarray(8, 12) };
    const v = owner();
    await cache.serve(v, 'k2', undefined, async () => [view]);
    const stored = (await cache.serve(v, 'k2', undefined, () => Promise.reject(new Error('must not run')))).outputs[0].data as Float32Array;
    expect(stored.buffer.byteLength).toBe(16);
    expect(Array.from(stored)).toEqual([1, 1, 1, 1]);
    expect(cache.bytes).toBeLessThan(2 * 1024);
  });

  it('evicts the least recently used entries by bytes, and never stores an answer larger than max_bytes', async () => {
    const v = owner();
    const probe = new ModelCache('m', 1 << 20);
    await probe.serve(v, 'probe', undefined, async () => answer(0, 256));
    const entryBytes = probe.bytes;
    let evicted = 0;
    // Room for three entries of 1 KiB of outputs, not four.
    const cache = new ModelCache('m', Math.floor(entryBytes * 3.5), () => evicted++);
    for (const k of ['a', 'b', 'c']) await cache.serve(v, k, undefined, async () => answer(1, 256));
    expect(cache.entries).toBe(3);
    await cache.serve(v, 'a', undefined, () => Promise.reject(new Error('a is cached'))); // a is now the most recent
    await cache.serve(v, 'd', undefined, async () => answer(2, 256));
    expect(evicted).toBe(1);
    expect(cache.entries).toBe(3);
    expect(cache.bytes).toBeLessThanOrEqual(cache.maxBytes);
    // b went (least recently used); a, c and d stay.
    const runs: string[] = [];
    for (const k of ['a', 'c', 'd', 'b']) {
      await cache.serve(v, k, undefined, async () => {
        runs.push(k);
        return answer(3, 256);
      });
    }
    expect(runs).toEqual(['b']);
    const tooBig = await cache.serve(v, 'huge', undefined, async () => answer(4, 4096));
    expect(tooBig.cache.hit).toBe(false);
    expect((await cache.serve(v, 'huge', undefined, async () => answer(4, 4096))).cache.hit).toBe(false);
  });

  it('runs one compute for 100 identical concurrent requests (single flight)', async () => {
    const cache = new ModelCache('m', 1 << 20);
    const v = owner();
    const h = held();
    const all = Array.from({ length: 100 }, () => cache.serve(v, 'k', undefined, h.compute));
    await flush();
    expect(h.calls).toBe(1);
    h.resolve(answer(5));
    const served = await Promise.all(all);
    expect(h.calls).toBe(1);
    expect(served.filter((s) => s.cache.hit)).toHaveLength(99);
    expect(served.filter((s) => s.cache.waitNs !== undefined)).toHaveLength(99);
    for (const s of served) expect(s.outputs).toBe(served[1].outputs);
  });

  it('gives waiters the running request\'s error and stores nothing', async () => {
    const cache = new ModelCache('m', 1 << 20);
    const v = owner();
    const h = held();
    const all = Array.from({ length: 5 }, () => cache.serve(v, 'k', undefined, h.compute).then(() => 'ok', (e) => (e as AmaasError).code));
    await flush();
    h.reject(new AmaasError('AMAAS_ERR_RUNTIME_FAILURE', 'the model failed'));
    expect(await Promise.all(all)).toEqual(Array(5).fill('AMAAS_ERR_RUNTIME_FAILURE'));
    expect(h.calls).toBe(1);
    expect(cache.entries).toBe(0);
  });

  it('lets waiters run again when the running request was cancelled or ran out of time', async () => {
    for (const code of ['AMAAS_ERR_CANCELLED', 'AMAAS_ERR_DEADLINE_EXCEEDED'] as const) {
      const cache = new ModelCache('m', 1 << 20);
      const v = owner();
      const h = held();
      const leader = cache.serve(v, 'k', undefined, h.compute).catch((e) => (e as AmaasError).code);
      const waiters = Array.from({ length: 3 }, () => cache.serve(v, 'k', undefined, h.compute));
      await flush();
      h.reject(new AmaasError(code, 'the first caller went away'));
      expect(await leader).toBe(code);
      await flush();
      // One waiter took over; the other two wait for it.
      expect(h.calls).toBe(2);
      h.resolve(answer(6));
      const served = await Promise.all(waiters);
      expect(served.map((s) => s.cache.hit).sort()).toEqual([false, true, true]);
    }
  });

  it('stops a waiter whose own call is cancelled, without touching the others', async () => {
    const cache = new ModelCache('m', 1 << 20);
    const v = owner();
    const h = held();
    const leader = cache.serve(v, 'k', undefined, h.compute);
    const controller = new AbortController();
    const waiter = cache.serve(v, 'k', controller.signal, h.compute).catch((e) => (e as AmaasError).code);
    await flush();
    controller.abort(new AmaasError('AMAAS_ERR_CANCELLED', 'the client cancelled the call'));
    expect(await waiter).toBe('AMAAS_ERR_CANCELLED');
    h.resolve(answer(8));
    expect((await leader).cache.hit).toBe(false);
  });

  it('drops a closed version\'s entries and stores nothing it finishes afterwards', async () => {
    const cache = new ModelCache('m', 1 << 20);
    const v1 = owner(1);
    const v2 = owner(2);
    await cache.serve(v1, 'a', undefined, async () => answer(1));
    await cache.serve(v2, 'b', undefined, async () => answer(2));
    const h = held();
    const running = cache.serve(v1, 'c', undefined, h.compute);
    await flush();
    cache.close(v1);
    expect(cache.entries).toBe(1);
    h.resolve(answer(3));
    await running;
    expect(cache.entries).toBe(1);
    expect((await cache.serve(v2, 'b', undefined, () => Promise.reject(new Error('b is cached')))).cache.hit).toBe(true);
    // Another instance of the same version number never sees an entry of the first.
    await cache.serve(v2, 'shared', undefined, async () => answer(9));
    expect((await cache.serve(owner(2), 'shared', undefined, async () => answer(10))).cache.hit).toBe(false);
  });
});
