import crypto from 'node:crypto';
import { MAX_TOKEN_CHARS, anonymousIdentity, checkKey, hashKey, hashKeyHex, identityForCertificate, identityForKey, parseBearer } from '../../../src/security/api-keys';
import { policyFromObject } from '../../../src/security/tenants-file';

const KEY_A1 = 'amaas_acme-first-key';
const KEY_A2 = 'amaas_acme-second-key';
const KEY_OLD = 'amaas_acme-expired-key';
const KEY_OPS = 'amaas_ops-key';

const policy = policyFromObject(
  {
    tenants: {
      acme: {
        keys: [
          { id: 'acme-1', sha256: hashKeyHex(KEY_A1), expires: '2030-01-01T00:00:00Z' },
          { id: 'acme-2', sha256: hashKeyHex(KEY_A2) },
          { id: 'acme-old', sha256: hashKeyHex(KEY_OLD), expires: '2020-01-01T00:00:00Z' },
        ],
        models: ['fraud_*', 'ocr_det'],
        scopes: ['infer', 'metadata'],
        certificates: ['spiffe://acme/worker'],
      },
      ops: { keys: [{ id: 'ops-1', sha256: hashKeyHex(KEY_OPS) }], models: ['*'], scopes: ['metadata', 'admin'] },
    },
  },
  'test',
);

describe('parseBearer', () => {
  it('takes the token of exactly "Bearer <token>", the scheme in any case', () => {
    expect(parseBearer('Bearer abc')).toBe('abc');
    expect(parseBearer('bearer abc')).toBe('abc');
    expect(parseBearer('BEARER abc')).toBe('abc');
    expect(parseBearer('bEaReR abc')).toBe('abc');
    expect(parseBearer(`Bearer ${KEY_A1}`)).toBe(KEY_A1);
    // RFC 6750 b64token characters, including a JWT's dots and base64 padding.
    expect(parseBearer('Bearer aA0-._~+/==')).toBe('aA0-._~+/==');
    expect(parseBearer('Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln')).toBe('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln');
  });

  it('refuses everything else', () => {
    const refused: (string | undefined)[] = [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      'Bearer  abc',
      ' Bearer abc',
      'Bearer abc ',
      'Bearer\tabc',
      'Bearer\nabc',
      'Bearerabc',
      'Bearer: abc',
      'Basic YWxhZGRpbjpvcGVuc2VzYW1l',
      'Token abc',
      'abc',
      'Bearer abc def',
      'Bearer abc\n',
      'Bearer abc\u0000',
      'Bearer =abc',
      'Bearer ab=c',
      'Bearer ключ',
      'Bearer abc\u00e9',
      'Bearer 🔑',
      'Bearer\u00a0abc',
      'Bearer abc,Bearer def',
      'Bearer "abc"',
      `Bearer ${'a'.repeat(MAX_TOKEN_CHARS + 1)}`,
      `Bearer ${'a'.repeat(1_000_000)}`,
    ];
    for (const value of refused) expect({ value: value?.slice(0, 40), token: parseBearer(value) }).toEqual({ value: value?.slice(0, 40), token: null });
  });

  it('accepts a token of exactly the longest length', () => {
    expect(parseBearer(`Bearer ${'a'.repeat(MAX_TOKEN_CHARS)}`)).toHaveLength(MAX_TOKEN_CHARS);
  });

  it('refuses non-string values that untyped callers might pass', () => {
    for (const v of [null, 42, ['Bearer abc'], Buffer.from('Bearer abc')]) expect(parseBearer(v as unknown as string)).toBeNull();
  });
});

describe('identityForKey', () => {
  const now = new Date('2026-06-01T00:00:00Z');

  it('finds the tenant of each of several keys', () => {
    const a1 = identityForKey(policy, KEY_A1, now)!;
    expect(a1.tenant).toBe('acme');
    expect(a1.keyId).toBe('acme-1');
    expect(a1.method).toBe('api_key');
    expect([...a1.scopes]).toEqual(['infer', 'metadata']);
    const a2 = identityForKey(policy, KEY_A2, now)!;
    expect(a2.tenant).toBe('acme');
    expect(a2.keyId).toBe('acme-2');
    const ops = identityForKey(policy, KEY_OPS, now)!;
    expect(ops.tenant).toBe('ops');
    expect([...ops.scopes]).toEqual(['metadata', 'admin']);
  });

  it("gives the identity the tenant's model patterns", () => {
    const a = identityForKey(policy, KEY_A1, now)!;
    expect(a.canUse('fraud_v2')).toBe(true);
    expect(a.canUse('ocr_det')).toBe(true);
    expect(a.canUse('ocr_rec')).toBe(false);
    expect(identityForKey(policy, KEY_OPS, now)!.canUse('anything')).toBe(true);
  });

  it('refuses unknown keys, near misses and the hash itself', () => {
    for (const k of ['', 'amaas_unknown', `${KEY_A1}x`, KEY_A1.slice(0, -1), KEY_A1.toUpperCase(), hashKeyHex(KEY_A1), ` ${KEY_A1}`]) {
      expect(identityForKey(policy, k, now)).toBeNull();
    }
    expect(checkKey(policy, 'amaas_unknown', now)).toEqual({ ok: false, reason: 'unknown key', tenant: '', keyId: '' });
  });

  it('refuses a key at and after its expiry, and says so only to the server', () => {
    expect(identityForKey(policy, KEY_OLD, now)).toBeNull();
    expect(checkKey(policy, KEY_OLD, now)).toEqual({ ok: false, reason: 'expired key', tenant: 'acme', keyId: 'acme-old' });
    expect(identityForKey(policy, KEY_A1, new Date('2029-12-31T23:59:59.999Z'))).not.toBeNull();
    expect(identityForKey(policy, KEY_A1, new Date('2030-01-01T00:00:00Z'))).toBeNull();
    expect(identityForKey(policy, KEY_A1, new Date('2031-01-01T00:00:00Z'))).toBeNull();
    // A key without expires never expires.
    expect(identityForKey(policy, KEY_A2, new Date('2999-01-01T00:00:00Z'))).not.toBeNull();
  });

  it('compares against every stored hash, with timingSafeEqual, even when the first one matches', () => {
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    try {
      for (const key of [KEY_A1, KEY_OPS, 'amaas_unknown', KEY_OLD]) {
        spy.mockClear();
        identityForKey(policy, key, now);
        expect({ key, comparisons: spy.mock.calls.length }).toEqual({ key, comparisons: 4 });
        for (const [a, b] of spy.mock.calls) {
          expect((a as Buffer).length).toBe(32);
          expect((b as Buffer).length).toBe(32);
        }
      }
    } finally {
      spy.mockRestore();
    }
  });

  it('hashes the UTF-8 bytes of the key', () => {
    expect(hashKey('abc').toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashKeyHex('é')).toBe(crypto.createHash('sha256').update(Buffer.from([0xc3, 0xa9])).digest('hex'));
  });

  it('checks presented keys by the SHA-256 of their UTF-8 bytes, one after another without carry-over', () => {
    // checkKey writes each presented hash into one reused buffer: alternate matches and misses must not leak into each other.
    const utf8 = policyFromObject({ tenants: { t: { keys: [{ id: 'accented', sha256: crypto.createHash('sha256').update(Buffer.from('clé', 'utf8')).digest('hex') }], models: ['*'], scopes: ['infer'] } } }, 't');
    for (let i = 0; i < 3; i++) {
      expect(identityForKey(utf8, 'clé', now)?.keyId).toBe('accented');
      expect(identityForKey(utf8, 'cl\u00e9x', now)).toBeNull();
      expect(identityForKey(policy, KEY_OPS, now)?.keyId).toBe('ops-1');
      expect(identityForKey(policy, 'amaas_unknown', now)).toBeNull();
    }
  });

  it('refuses every key against an empty policy', () => {
    expect(identityForKey(policyFromObject({ tenants: {} }, 't'), KEY_A1, now)).toBeNull();
  });
});

describe('identityForCertificate', () => {
  it('maps a listed certificate name to its tenant', () => {
    const id = identityForCertificate(policy, 'spiffe://acme/worker')!;
    expect(id.tenant).toBe('acme');
    expect(id.keyId).toBe('spiffe://acme/worker');
    expect(id.method).toBe('certificate');
    expect(id.canUse('fraud_x')).toBe(true);
    expect(id.canUse('secret_model')).toBe(false);
  });

  it('refuses names no tenant lists', () => {
    for (const name of ['', 'spiffe://acme/worker/', 'SPIFFE://acme/worker', 'spiffe://ops/worker']) expect(identityForCertificate(policy, name)).toBeNull();
  });
});

describe('anonymousIdentity', () => {
  it('has every scope and every model, and no tenant', () => {
    const id = anonymousIdentity();
    expect(id.method).toBe('none');
    expect(id.tenant).toBe('');
    expect(id.keyId).toBe('');
    expect([...id.scopes].sort()).toEqual(['admin', 'infer', 'metadata']);
    expect(id.canUse('anything')).toBe(true);
    expect(Object.isFrozen(id)).toBe(true);
  });
});
