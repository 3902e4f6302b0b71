/**
 * The canary split: validation of `traffic` and SetTrafficSplit's shares, the draw with a seeded random source,
 * and ModelRegistry.resolve taking the split (with an injected random source) only for inference requests.
 */
import { resolveModelConfig } from '../../../src/config/schema';
import { trafficSplitOf } from '../../../src/config/traffic-schema';
import { ModelRegistry } from '../../../src/repository/model-registry';
import { drawVersion } from '../../../src/repository/traffic-split';
import { expectAmaasError } from '../../helpers/expect-amaas-error';
import { makeRepository } from '../../helpers/model-repository';
import { Prng } from '../../../tools/modelgen/prng';

/** The project's seeded PRNG (tools/modelgen/prng.ts), uniform in [0, 1). */
function seeded(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.next();
}

it('reads the config form and sorts the shares with running totals', () => {
  expect(resolveModelConfig({ traffic: { '4': 5, '3': 10 } }).traffic).toEqual([
    { version: 3, percent: 10, upTo: 10 },
    { version: 4, percent: 5, upTo: 15 },
  ]);
  expect(resolveModelConfig({}).traffic).toEqual([]);
  expect(() => resolveModelConfig({ traffic: { '3': 70, '4': 40 } })).toThrow(/more than 100/);
  expect(() => resolveModelConfig({ traffic: { v3: 10 } })).toThrow(/version numbers/);
  expect(() => resolveModelConfig({ traffic: { '3': 101 } })).toThrow();
});

it('validates run-time shares', () => {
  expectAmaasError(() => trafficSplitOf([[3, 10], [3, 5]]), 'AMAAS_ERR_INVALID_REQUEST', 'twice');
  expectAmaasError(() => trafficSplitOf([[3, -1]]), 'AMAAS_ERR_INVALID_REQUEST', '0 to 100');
  expectAmaasError(() => trafficSplitOf([[3, Number.NaN]]), 'AMAAS_ERR_INVALID_REQUEST');
  expectAmaasError(() => trafficSplitOf([[0, 10]]), 'AMAAS_ERR_INVALID_REQUEST', 'version number');
  expect(trafficSplitOf([[3, 0]])).toEqual([]);
  expect(trafficSplitOf([[1, 33.3], [2, 33.3], [3, 33.4]]).map((s) => s.version)).toEqual([1, 2, 3]);
});

it('sends 10 % ± 1.5 % of 10,000 seeded draws to version 3', () => {
  const split = trafficSplitOf([[3, 10]]);
  for (const seed of [1, 2, 3]) {
    const random = seeded(seed);
    let canary = 0;
    for (let i = 0; i < 10_000; i++) if (drawVersion(split, random) === 3) canary++;
    expect(canary).toBeGreaterThanOrEqual(850);
    expect(canary).toBeLessThanOrEqual(1150);
  }
});

it('maps the draw onto the shares at their edges', () => {
  const split = trafficSplitOf([[3, 10], [4, 20]]);
  expect(drawVersion(split, () => 0)).toBe(3);
  expect(drawVersion(split, () => 0.0999)).toBe(3);
  expect(drawVersion(split, () => 0.1)).toBe(4);
  expect(drawVersion(split, () => 0.2999)).toBe(4);
  expect(drawVersion(split, () => 0.3)).toBe(0);
  expect(drawVersion([], () => 0)).toBe(0);
});

describe('ModelRegistry.resolve', () => {
  let draw = 0;
  const registry = new ModelRegistry({}, { random: () => draw });

  beforeAll(async () => {
    const config = { version_policy: { latest: 2 }, default_version: 2, traffic: { '3': 10 }, warmup: { runs: 0 } };
    const repo = await makeRepository([
      { model: 'scale', name: 'm', version: 2, config },
      { model: 'scale', name: 'm', version: 3, config },
    ]);
    await registry.loadRepository(repo);
  }, 60_000);

  afterAll(() => registry.unloadAll());

  it('draws the split for inference requests naming no version, and only for them', () => {
    draw = 0.05;
    expect(registry.resolve('m', 0, true).version).toBe(3);
    expect(registry.resolve('m', 0).version).toBe(2);
    expect(registry.resolve('m', 2, true).version).toBe(2);
    draw = 0.1;
    expect(registry.resolve('m', 0, true).version).toBe(2);
  });

  it('gives a share of a version that is not READY to the default', async () => {
    draw = 0.05;
    await registry.unloadModel('m', 3);
    expect(registry.resolve('m', 0, true).version).toBe(2);
    await expect(registry.setTrafficSplit('m', trafficSplitOf([[3, 10]]))).rejects.toThrow(/not ready/);
  });

  it('ends the split on Rollback, keeping the default', async () => {
    await registry.loadModel('m', 3);
    draw = 0.05;
    expect(registry.resolve('m', 0, true).version).toBe(3);
    expect(await registry.rollback('m')).toBe(2);
    expect(registry.get('m')!.traffic).toEqual([]);
    expect(registry.resolve('m', 0, true).version).toBe(2);
  });
});
