import { TenantSettings, Tenancy, UsageMeter, refusalOf, shareOf } from '../../../src/tenancy';
import type { TenantPolicy } from '../../../src/security/types';

describe('UsageMeter', () => {
  it('counts per tenant, model and version, exactly', () => {
    const heard: string[] = [];
    const m = new UsageMeter((e) => heard.push(e.tenant));
    const base = { model: 'mlp', version: 1, computeNs: 0, bytesIn: 0, bytesOut: 0, refused: null };
    m.record({ ...base, tenant: 'a', ok: true, rows: 4, computeNs: 2e6, bytesIn: 64, bytesOut: 16 });
    m.record({ ...base, tenant: 'a', ok: true, rows: 1, computeNs: 1e6, bytesIn: 16, bytesOut: 4 });
    m.record({ ...base, tenant: 'a', ok: false, rows: 9, refused: 'rate_limit', bytesIn: 144 });
    m.record({ ...base, tenant: 'b', version: 2, ok: false, rows: 1, refused: null });
    expect(m.snapshot()).toEqual([
      { tenant: 'a', model: 'mlp', version: 1, requests: 3, succeeded: 2, rows: 5, refused: { rate_limit: 1, concurrency: 0, queue_full: 0, overloaded: 0 }, computeMs: 3, bytesIn: 224, bytesOut: 20 },
      { tenant: 'b', model: 'mlp', version: 2, requests: 1, succeeded: 0, rows: 0, refused: { rate_limit: 0, concurrency: 0, queue_full: 0, overloaded: 0 }, computeMs: 0, bytesIn: 0, bytesOut: 0 },
    ]);
    expect(m.snapshot('b')).toHaveLength(1);
    expect(heard).toEqual(['a', 'a', 'a', 'b']);
  });

  it('names the refusals for load by reason, and nothing else', () => {
    expect(refusalOf('AMAAS_ERR_RATE_LIMITED')).toBe('rate_limit');
    expect(refusalOf('AMAAS_ERR_CONCURRENCY_LIMIT')).toBe('concurrency');
    expect(refusalOf('AMAAS_ERR_QUEUE_FULL')).toBe('queue_full');
    expect(refusalOf('AMAAS_ERR_OVERLOADED')).toBe('overloaded');
    expect(refusalOf('AMAAS_ERR_DEADLINE_EXCEEDED')).toBeNull();
    expect(refusalOf(null)).toBeNull();
  });
});

describe('BatchShares', () => {
  it('groups the jobs of one version started in one loop, and splits by rows', async () => {
    const t = new Tenancy({ policy: null, defaults: { limits: {}, priority: 'normal' } });
    const v1 = {};
    const v2 = {};
    const a = t.shares.join(v1, 3);
    const b = t.shares.join(v1, 1);
    const other = t.shares.join(v2, 5);
    expect(shareOf(a, 3)).toBe(0.75);
    expect(shareOf(b, 1)).toBe(0.25);
    expect(shareOf(other, 5)).toBe(1);
    await Promise.resolve();
    const later = t.shares.join(v1, 2);
    expect(shareOf(later, 2)).toBe(1);
    expect(shareOf(a, 3)).toBe(0.75);
  });
});

describe('Tenancy', () => {
  const defaults = { limits: { maxConcurrent: 3 }, priority: 'low' as const };

  it('makes every caller the implicit tenant `default` with the top-level limits when auth is off', () => {
    const t = new Tenancy({ policy: null, defaults });
    const s = t.settingsOf(undefined);
    expect(s).toMatchObject({ name: 'default', limits: { maxConcurrent: 3 }, weight: 1, priority: 'low' });
    expect(t.settingsOf({ tenant: '', keyId: '', method: 'none', scopes: new Set(), canUse: () => true })).toBe(s);
  });

  it("reads a tenant's limits, weight and priority from the policy in force at each call", () => {
    const acme = (limits: object): TenantSettings => ({ name: 'acme', limits, weight: 3, priority: 'high' });
    let policy: TenantPolicy = { tenants: new Map([['acme', { ...acme({ requestsPerSecond: 1 }), keys: [], models: [], scopes: new Set(), certificates: [] }]]) };
    const t = new Tenancy({ policy: () => policy, defaults });
    const who = { tenant: 'acme', keyId: 'k', method: 'api_key' as const, scopes: new Set<never>(), canUse: () => true };
    expect(t.settingsOf(who).limits).toEqual({ requestsPerSecond: 1 });
    policy = { tenants: new Map([['acme', { ...acme({ requestsPerSecond: 9 }), keys: [], models: [], scopes: new Set(), certificates: [] }]]) };
    expect(t.settingsOf(who).limits).toEqual({ requestsPerSecond: 9 });
  });

  it("caps the priority a request asks for by its tenant's, and reuses JobTenants", () => {
    const t = new Tenancy({ policy: null, defaults });
    const normal: TenantSettings = { name: 'n', limits: {}, weight: 2, priority: 'normal' };
    expect(t.jobTenant(normal)).toEqual({ name: 'n', weight: 2, priority: 'normal' });
    expect(t.jobTenant(normal, 'high').priority).toBe('normal');
    expect(t.jobTenant(normal, 'low').priority).toBe('low');
    expect(t.jobTenant(normal, 'low')).toBe(t.jobTenant(normal, 'low'));
  });
});
