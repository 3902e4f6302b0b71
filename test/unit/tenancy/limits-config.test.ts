import { resolveServerConfig } from '../../../src/config/schema';
import { AmaasError } from '../../../src/errors';
import { policyFromObject } from '../../../src/security/tenants-file';

const sha = 'a'.repeat(64);
const file = (acme: object) => ({ tenants: { acme: { keys: [{ id: 'acme-1', sha256: sha }], ...acme } } });

describe('tenants file: limits, weight, priority', () => {
  it('reads them onto the tenant, camelCase and frozen', () => {
    const t = policyFromObject(file({ limits: { requests_per_second: 2.5, burst: 5, rows_per_second: 100, max_concurrent: 3 }, weight: 3, priority: 'high' }), 't.yaml').tenants.get('acme')!;
    expect(t.limits).toEqual({ requestsPerSecond: 2.5, burst: 5, rowsPerSecond: 100, maxConcurrent: 3 });
    expect(Object.isFrozen(t.limits)).toBe(true);
    expect(t.weight).toBe(3);
    expect(t.priority).toBe('high');
  });

  it('defaults to no limits, weight 1 and normal priority', () => {
    const t = policyFromObject(file({}), 't.yaml').tenants.get('acme')!;
    expect(t).toMatchObject({ limits: {}, weight: 1, priority: 'normal' });
  });

  it.each([
    [{ limits: { burst: 5 } }, 'tenants.acme.limits.burst: needs requests_per_second'],
    [{ limits: { requests_per_second: 0 } }, 'tenants.acme.limits.requests_per_second'],
    [{ limits: { max_concurrent: 1.5 } }, 'tenants.acme.limits.max_concurrent'],
    [{ limits: { rps: 1 } }, 'tenants.acme.limits: unknown key(s) "rps"'],
    [{ weight: 0 }, 'tenants.acme.weight'],
    [{ priority: 'urgent' }, 'tenants.acme.priority: must be one of high, normal, low'],
  ])('refuses %j, naming the key', (acme, message) => {
    let err: unknown;
    try {
      policyFromObject(file(acme), 't.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AmaasError);
    expect((err as AmaasError).code).toBe('AMAAS_ERR_CONFIG_INVALID');
    expect((err as AmaasError).message).toContain(message);
  });
});

describe('server config: the implicit tenant', () => {
  it('takes top-level limits and priority; none and normal by default', () => {
    expect(resolveServerConfig({ model_repository: 'r' })).toMatchObject({ limits: {}, priority: 'normal' });
    const c = resolveServerConfig({ model_repository: 'r', limits: { requests_per_second: 10, max_concurrent: 4 }, priority: 'low' });
    expect(c.limits).toEqual({ requestsPerSecond: 10, maxConcurrent: 4 });
    expect(c.priority).toBe('low');
    expect(() => resolveServerConfig({ model_repository: 'r', limits: { burst: 3 } })).toThrow();
  });
});
