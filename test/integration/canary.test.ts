/**
 * Canary traffic split through the real server: `traffic: { "3": 10 }` in the model config sends about 10 % of
 * the requests naming no version to version 3 (Math.random, the server's own random source), requests naming
 * a version are not affected, the per-version metrics show the split, SetTrafficSplit changes it at run time,
 * and Rollback returns all traffic to the default under load without failing a request.
 */
import type { AmaasCallError, BatchItem } from '../../src/client/amaas-client';
import { makeRepository } from '../helpers/model-repository';
import { scrape } from '../helpers/prometheus-text';
import { TestServer, startTestServer } from '../helpers/test-server';
import { until } from '../helpers/until';

const config = { version_policy: { latest: 2 }, default_version: 2, traffic: { '3': 10 } };
let ts: TestServer;

beforeAll(async () => {
  const repo = await makeRepository([
    { model: 'scale', name: 'canary', version: 2, config },
    { model: 'scale', name: 'canary', version: 3, config },
  ]);
  ts = await startTestServer(repo, { metrics_port: 0 });
}, 60_000);

afterAll(async () => {
  await ts?.stop();
});

const inputs = { x: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } };

/** Versions that served `n` requests for `canary` (one BatchPredict stream), counted by version. */
async function servedBy(n: number, version = 0): Promise<Map<number, number>> {
  function* items(): Iterable<BatchItem> {
    for (let i = 0; i < n; i++) yield { id: String(i), model: 'canary', inputs, version };
  }
  const counts = new Map<number, number>();
  for await (const r of ts.client.batchPredict(items())) {
    if (!r.ok) throw new Error(`item ${r.id} failed: ${r.errorCode} ${r.message}`);
    counts.set(r.result.modelVersion, (counts.get(r.result.modelVersion) ?? 0) + 1);
  }
  return counts;
}

it('shows the config split in the model metadata', async () => {
  const info = await ts.client.getModelMetadata('canary');
  expect(info.defaultVersion).toBe(2);
  expect(info.traffic).toEqual([{ version: 3, percent: 10 }]);
});

it('sends 10 % ± 1.5 % of 10,000 requests naming no version to version 3, and the metrics show it', async () => {
  const labels = (version: string) => ({ model: 'canary', version, code: 'OK' });
  const before = await scrape(ts.server.metricsPort!);
  const counts = await servedBy(10_000);
  expect([...counts.keys()].sort()).toEqual([2, 3]);
  const canary = counts.get(3)!;
  expect(canary + counts.get(2)!).toBe(10_000);
  expect(canary).toBeGreaterThanOrEqual(850);
  expect(canary).toBeLessThanOrEqual(1150);
  const after = await scrape(ts.server.metricsPort!);
  expect(after.sum('amaas_requests_total', labels('3')) - before.sum('amaas_requests_total', labels('3'))).toBe(canary);
  expect(after.sum('amaas_requests_total', labels('2')) - before.sum('amaas_requests_total', labels('2'))).toBe(10_000 - canary);
}, 120_000);

it('leaves requests that name a version alone', async () => {
  expect(await servedBy(500, 2)).toEqual(new Map([[2, 500]]));
  expect(await servedBy(100, 3)).toEqual(new Map([[3, 100]]));
}, 60_000);

it('refuses a split over 100 % or naming a version that does not exist', async () => {
  const over = (await ts.client.setTrafficSplit('canary', { 3: 60, 2: 50 }).catch((e) => e)) as AmaasCallError;
  expect(over.errorCode).toBe('AMAAS_ERR_INVALID_REQUEST');
  expect(over.details).toContain('more than 100');
  const missing = (await ts.client.setTrafficSplit('canary', { 7: 5 }).catch((e) => e)) as AmaasCallError;
  expect(missing.errorCode).toBe('AMAAS_ERR_VERSION_NOT_FOUND');
  expect((await ts.client.getModelMetadata('canary')).traffic).toEqual([{ version: 3, percent: 10 }]);
});

it('returns all traffic to the default on Rollback, under load, with no failed request', async () => {
  const info = await ts.client.setTrafficSplit('canary', { 3: 50 });
  expect(info.traffic).toEqual([{ version: 3, percent: 50 }]);
  let rolledBackAt = Number.POSITIVE_INFINITY;
  let done = 0;
  let stop = false;
  const failures: string[] = [];
  const afterRollback = new Map<number, number>();
  const beforeRollback = new Map<number, number>();
  // A bounded load loop: 4 callers, each stopping at `stop` or after 3,000 requests.
  const callers = Array.from({ length: 4 }, async () => {
    for (let i = 0; i < 3_000 && !stop; i++) {
      const sent = performance.now();
      try {
        const r = await ts.client.predict('canary', inputs);
        const tally = sent > rolledBackAt ? afterRollback : beforeRollback;
        tally.set(r.modelVersion, (tally.get(r.modelVersion) ?? 0) + 1);
      } catch (err) {
        failures.push(`${(err as AmaasCallError).errorCode}: ${(err as Error).message}`);
      }
      done++;
    }
  });
  await until(() => done >= 300, '300 requests under the 50 % split');
  const rolledBack = await ts.client.rollback('canary');
  rolledBackAt = performance.now();
  const doneAtRollback = done;
  await until(() => done >= doneAtRollback + 300 || done >= 12_000, '300 requests after the rollback');
  stop = true;
  await Promise.all(callers);
  expect(failures).toEqual([]);
  expect(rolledBack.defaultVersion).toBe(2);
  expect(rolledBack.traffic).toEqual([]);
  expect(beforeRollback.get(3)).toBeGreaterThan(0);
  expect([...afterRollback.keys()]).toEqual([2]);
  expect((await ts.client.getModelMetadata('canary')).traffic).toEqual([]);
}, 120_000);

it('lets a reload bring back the config split', async () => {
  const info = await ts.client.loadModel('canary');
  expect(info.traffic).toEqual([{ version: 3, percent: 10 }]);
}, 60_000);
