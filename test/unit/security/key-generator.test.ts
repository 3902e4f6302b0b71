import { hashKeyHex, identityForKey, parseBearer } from '../../../src/security/api-keys';
import { KEY_PREFIX, createKey, defaultKeyId, generateKey, tenantsFileLine } from '../../../src/security/key-generator';
import { parseTenantsText, policyFromObject } from '../../../src/security/tenants-file';

describe('generateKey', () => {
  it('makes url-safe keys of 256 random bits behind the amaas_ prefix', () => {
    const keys = new Set(Array.from({ length: 200 }, generateKey));
    expect(keys.size).toBe(200);
    for (const k of keys) {
      expect(k).toMatch(/^amaas_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(k.slice(KEY_PREFIX.length), 'base64url')).toHaveLength(32);
      expect(parseBearer(`Bearer ${k}`)).toBe(k);
    }
  });
});

describe('createKey and tenantsFileLine', () => {
  it('gives a line that, pasted into the tenants file, admits exactly that key', () => {
    const k = createKey({ tenant: 'acme', expires: new Date('2027-06-01T00:00:00Z'), now: new Date('2026-05-01T00:00:00Z') });
    expect(k.sha256).toBe(hashKeyHex(k.key));
    expect(k.id).toMatch(/^acme-20260501-[0-9a-f]{6}$/);
    const line = tenantsFileLine(k);
    expect(line).toBe(`- { id: ${k.id}, sha256: "${k.sha256}", expires: "2027-06-01T00:00:00Z" }`);
    expect(line).not.toContain(k.key);
    const file = `tenants:\n  acme:\n    keys:\n      ${line}\n    models: ["*"]\n    scopes: [infer]\n`;
    const policy = policyFromObject(parseTenantsText(file, 't'), 't');
    expect(identityForKey(policy, k.key, new Date('2026-06-01T00:00:00Z'))?.keyId).toBe(k.id);
    expect(identityForKey(policy, k.key, new Date('2027-06-01T00:00:00Z'))).toBeNull();
  });

  it('writes no expires for a key that does not expire, and takes a given id', () => {
    const k = createKey({ tenant: 'ops', id: 'ops-rotation-7' });
    expect(tenantsFileLine(k)).toBe(`- { id: ops-rotation-7, sha256: "${k.sha256}" }`);
  });

  it('refuses bad tenant names, bad ids and past expiries', () => {
    expect(() => createKey({ tenant: 'a b' })).toThrow(/tenant names/);
    expect(() => createKey({ tenant: 'acme', id: 'x y' })).toThrow(/key ids/);
    expect(() => createKey({ tenant: 'acme', expires: new Date('2001-01-01T00:00:00Z') })).toThrow(/past/);
  });

  it('makes distinct default ids', () => {
    expect(defaultKeyId('acme')).not.toBe(defaultKeyId('acme'));
  });
});
