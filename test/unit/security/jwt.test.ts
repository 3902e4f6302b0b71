/**
 * JWT bearer tokens (src/security/jwt.ts) with keys made by jose's generateKeyPair and tokens signed with
 * SignJWT: a valid token is its tenant with the token's scopes narrowing the tenant's; every kind of bad
 * token is refused, through the Gate with the same UNAUTHENTICATED message as a bad API key and a precise
 * reason for the audit trail. Plus the config rules and the JWKS file's checks and reloads.
 */
import fs from 'node:fs';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { KeyLike } from 'jose';
import { resolveServerConfig } from '../../../src/config/schema';
import type { JwtConfig } from '../../../src/config/security-schema';
import { hashKeyHex } from '../../../src/security/api-keys';
import { Decision, Gate, UNAUTHENTICATED_MESSAGE } from '../../../src/security/gate';
import { JwtVerifier, looksLikeJwt, readJwksFile } from '../../../src/security/jwt';
import { policyFromObject } from '../../../src/security/tenants-file';
import { tempFiles } from '../../helpers/temp-files';
import { until } from '../../helpers/until';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'amaas-test';
const API_KEY = 'amaas_unit-jwt-api-key';

const policy = policyFromObject(
  {
    tenants: {
      acme: { keys: [{ id: 'acme-1', sha256: hashKeyHex(API_KEY) }], models: ['fraud_*'], scopes: ['infer', 'metadata'] },
      ops: { models: ['*'], scopes: ['metadata', 'admin'] },
    },
  },
  'test',
);

const temp = tempFiles('amaas-jwt-unit-');
const verifiers: JwtVerifier[] = [];
afterAll(() => {
  for (const v of verifiers) v.close();
  temp.cleanup();
});

interface Pair {
  readonly publicKey: KeyLike;
  readonly privateKey: KeyLike;
  readonly kid: string;
  readonly alg: string;
}
let rsa: Pair;
let ec: Pair;
let ed: Pair;
let stranger: Pair;
let jwksFile: string;
let verifier: JwtVerifier;
let gate: Gate;

async function pair(alg: string, kid: string): Promise<Pair> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { publicKey, privateKey, kid, alg };
}

async function jwks(...pairs: Pair[]): Promise<string> {
  const keys = await Promise.all(pairs.map(async (p) => ({ ...(await exportJWK(p.publicKey)), kid: p.kid, alg: p.alg, use: 'sig' })));
  return JSON.stringify({ keys });
}

const config = (file: string, o: Partial<JwtConfig> = {}): JwtConfig => ({
  issuer: ISSUER,
  audience: AUDIENCE,
  jwksFile: file,
  jwksUrl: null,
  tenantClaim: 'tenant',
  scopesClaim: 'scope',
  clockToleranceS: 30,
  algorithms: ['RS256', 'ES256', 'EdDSA'],
  ...o,
});

const now = () => Math.floor(Date.now() / 1000);

interface TokenOptions {
  readonly key?: Pair;
  readonly claims?: Record<string, unknown>;
  readonly issuer?: string;
  readonly audience?: string;
  readonly exp?: number | null;
  readonly nbf?: number;
  readonly sub?: string;
}

function token(o: TokenOptions = {}): Promise<string> {
  const key = o.key ?? rsa;
  const jwt = new SignJWT({ tenant: 'acme', ...o.claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid })
    .setIssuer(o.issuer ?? ISSUER)
    .setAudience(o.audience ?? AUDIENCE)
    .setSubject(o.sub ?? 'svc-fraud')
    .setIssuedAt();
  if (o.exp !== null) jwt.setExpirationTime(o.exp ?? now() + 300);
  if (o.nbf !== undefined) jwt.setNotBefore(o.nbf);
  return jwt.sign(key.privateKey);
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

async function decide(tok: string, access: 'infer' | 'metadata' | 'admin' = 'infer'): Promise<Decision> {
  return gate.check(access, { authorization: `Bearer ${tok}`, peerCertificate: null }, 'Predict');
}

async function refusedReason(tok: string): Promise<string> {
  const d = await decide(tok);
  if (d.allowed) throw new Error('the token was accepted');
  expect(d.error.code).toBe('AMAAS_ERR_UNAUTHENTICATED');
  expect(d.error.message).toBe(UNAUTHENTICATED_MESSAGE);
  // The reason and the key id never hold the token.
  expect(d.reason).not.toContain(tok);
  expect(d.keyId).not.toContain(tok);
  return d.reason;
}

beforeAll(async () => {
  [rsa, ec, ed, stranger] = await Promise.all([pair('RS256', 'rsa-1'), pair('ES256', 'ec-1'), pair('EdDSA', 'ed-1'), pair('RS256', 'rsa-1')]);
  jwksFile = temp.file('jwks.json', await jwks(rsa, ec, ed));
  verifier = JwtVerifier.start(config(jwksFile));
  verifiers.push(verifier);
  gate = new Gate({ policy: () => policy, tenantFrom: null, publicHealth: true, jwt: verifier });
});

describe('accepted tokens', () => {
  it('gives the tenant of the claim, its models, and the sub as key id', async () => {
    const d = await decide(await token());
    if (!d.allowed) throw new Error(d.reason);
    expect(d.identity).toMatchObject({ tenant: 'acme', keyId: 'svc-fraud', method: 'jwt' });
    expect([...d.identity.scopes].sort()).toEqual(['infer', 'metadata']);
    expect(d.identity.canUse('fraud_v2')).toBe(true);
    expect(d.identity.canUse('ocr')).toBe(false);
  });

  it('verifies RS256, ES256 and EdDSA keys of the set', async () => {
    for (const key of [rsa, ec, ed]) expect((await decide(await token({ key }))).allowed).toBe(true);
  });

  it('narrows the tenant scopes to the scope claim, as a string or an array, and never widens them', async () => {
    const narrowed = await decide(await token({ claims: { scope: 'metadata admin openid' } }), 'metadata');
    if (!narrowed.allowed) throw new Error(narrowed.reason);
    expect([...narrowed.identity.scopes]).toEqual(['metadata']);
    // infer was dropped by the token: Predict is refused with the scope message, not as unauthenticated.
    const predict = await decide(await token({ claims: { scope: 'metadata admin' } }));
    expect(predict).toMatchObject({ allowed: false, reason: 'scope infer missing', tenant: 'acme', keyId: 'svc-fraud' });
    expect(!predict.allowed && predict.error.code).toBe('AMAAS_ERR_PERMISSION_DENIED');
    // admin is not the tenant's: asking for it in the token gives nothing.
    expect((await decide(await token({ claims: { scope: ['infer', 'admin'] } }), 'admin')).allowed).toBe(false);
    const array = await decide(await token({ claims: { scope: ['infer'] } }));
    expect(array.allowed && [...array.identity.scopes]).toEqual(['infer']);
  });

  it('takes the tenant and scopes from the configured claims, and jti when there is no sub', async () => {
    const v = JwtVerifier.start(config(jwksFile, { tenantClaim: 'org', scopesClaim: 'scp' }));
    verifiers.push(v);
    const tok = await new SignJWT({ org: 'ops', scp: ['metadata'], jti: 'token-7' })
      .setProtectedHeader({ alg: 'ES256', kid: 'ec-1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(ec.privateKey);
    const c = await v.verify(tok, policy);
    if (!c.ok) throw new Error(c.reason);
    expect(c.identity).toMatchObject({ tenant: 'ops', keyId: 'token-7', method: 'jwt' });
    expect([...c.identity.scopes]).toEqual(['metadata']);
  });

  it('allows the configured clock tolerance on exp and nbf', async () => {
    expect((await decide(await token({ exp: now() - 10 }))).allowed).toBe(true);
    expect((await decide(await token({ nbf: now() + 10 }))).allowed).toBe(true);
  });

  it('keeps API keys working beside JWTs, synchronously', () => {
    const d = gate.check('infer', { authorization: `Bearer ${API_KEY}`, peerCertificate: null }, 'Predict');
    expect(d instanceof Promise).toBe(false);
    expect(d).toMatchObject({ allowed: true, identity: { tenant: 'acme', keyId: 'acme-1', method: 'api_key' } });
  });
});

describe('refused tokens', () => {
  it('refuses a wrong issuer and a wrong audience', async () => {
    expect(await refusedReason(await token({ issuer: 'https://evil.test' }))).toMatch(/iss/);
    expect(await refusedReason(await token({ audience: 'someone-else' }))).toMatch(/aud/);
  });

  it('refuses an expired token, one not valid yet, and one without exp', async () => {
    expect(await refusedReason(await token({ exp: now() - 120 }))).toBe('jwt expired');
    expect(await refusedReason(await token({ nbf: now() + 600 }))).toMatch(/nbf/);
    expect(await refusedReason(await token({ exp: null }))).toMatch(/exp/);
  });

  it('keeps the verified sub of a token refused for its claims, and no name from an unverified one', async () => {
    const expired = await decide(await token({ exp: now() - 120, sub: 'svc-late' }));
    expect(expired).toMatchObject({ allowed: false, keyId: 'svc-late' });
    const forged = await decide(await token({ key: stranger, sub: 'svc-forged' }));
    expect(forged).toMatchObject({ allowed: false, keyId: '', tenant: '' });
  });

  it('refuses a bad signature and a token from another key', async () => {
    const good = await token();
    const [h, p, s] = good.split('.');
    const flipped = `${h}.${p}.${(s[0] === 'A' ? 'B' : 'A') + s.slice(1)}`;
    expect(await refusedReason(flipped)).toBe('jwt signature invalid');
    // Another tenant's payload under acme's signature.
    const swapped = `${h}.${b64url({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), tenant: 'ops' })}.${s}`;
    expect(await refusedReason(swapped)).toBe('jwt signature invalid');
    // The stranger's key claims the same kid: the signature does not verify.
    expect(await refusedReason(await token({ key: stranger }))).toBe('jwt signature invalid');
    const unknownKid = await pair('ES256', 'nobody');
    expect(await refusedReason(await token({ key: unknownKid }))).toBe('jwt signed by no key of the JWKS');
  });

  it('refuses alg none and an algorithm not allowed', async () => {
    const claims = { tenant: 'acme', iss: ISSUER, aud: AUDIENCE, sub: 'x', exp: now() + 300 };
    const none = `${b64url({ alg: 'none' })}.${b64url(claims)}.`;
    expect(looksLikeJwt(none)).toBe(true);
    expect(await refusedReason(none)).toMatch(/alg|invalid/);
    const hs = `${b64url({ alg: 'HS256', kid: 'rsa-1' })}.${b64url(claims)}.c2ln`;
    expect(await refusedReason(hs)).toBe('jwt alg not allowed');
    const rsOnly = JwtVerifier.start(config(jwksFile, { algorithms: ['RS256'] }));
    verifiers.push(rsOnly);
    expect(await rsOnly.verify(await token({ key: ec }), policy)).toMatchObject({ ok: false, reason: 'jwt alg not allowed' });
  });

  it('refuses a tenant the tenants file does not have, and a token with no tenant claim', async () => {
    const unknown = await decide(await token({ claims: { tenant: 'globex' } }));
    expect(unknown).toMatchObject({ allowed: false, reason: 'jwt tenant not in the tenants file', tenant: 'globex', keyId: 'svc-fraud' });
    expect(await refusedReason(await token({ claims: { tenant: undefined } }))).toBe('jwt has no tenant claim');
    expect(await refusedReason(await token({ claims: { tenant: 42 } }))).toBe('jwt has no tenant claim');
  });

  it('refuses a malformed scope claim', async () => {
    expect(await refusedReason(await token({ claims: { scope: { infer: true } } }))).toBe('jwt scope claim malformed');
    expect(await refusedReason(await token({ claims: { scope: ['infer', 3] } }))).toBe('jwt scope claim malformed');
  });

  it('treats a token without the JWT shape as an API key, and a JWT-shaped one never as an API key', async () => {
    expect(looksLikeJwt(API_KEY)).toBe(false);
    expect(looksLikeJwt('a.b')).toBe(false);
    expect(looksLikeJwt('a.b.c.d')).toBe(false);
    const d = gate.check('infer', { authorization: 'Bearer not.a.jwt', peerCertificate: null }, 'Predict');
    expect(d instanceof Promise).toBe(true);
    expect((await d).allowed).toBe(false);
  });

  it('without auth.jwt, a JWT is only an unknown API key', () => {
    const keysOnly = new Gate({ policy: () => policy, tenantFrom: null, publicHealth: true });
    return token().then((tok) => {
      const d = keysOnly.check('infer', { authorization: `Bearer ${tok}`, peerCertificate: null }, 'Predict');
      expect(d).toMatchObject({ allowed: false, reason: 'invalid credentials' });
    });
  });
});

describe('the JWKS file', () => {
  it('refuses a missing, non-JSON, empty, private or symmetric key set, naming the file', async () => {
    const dir = temp.file('x', '');
    expect(() => readJwksFile(`${dir}.missing`)).toThrow(/jwks_file .*cannot be read/);
    expect(() => readJwksFile(temp.file('j.json', '{'))).toThrow(/not valid JSON/);
    expect(() => readJwksFile(temp.file('j.json', '{"keys":[]}'))).toThrow(/"keys" is empty/);
    expect(() => readJwksFile(temp.file('j.json', '[]'))).toThrow(/"keys" array/);
    const priv = { ...(await exportJWK(rsa.privateKey)), kid: 'p' };
    expect(() => readJwksFile(temp.file('j.json', JSON.stringify({ keys: [priv] })))).toThrow(/keys\.0: holds private key material/);
    expect(() => readJwksFile(temp.file('j.json', JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] })))).toThrow(/symmetric/);
    expect(() => readJwksFile(temp.file('j.json', JSON.stringify({ keys: [{ kty: 'RSA', n: 'AQAB' }] })))).toThrow(/keys\.0: not a usable/);
    expect(() => JwtVerifier.start(config(`${dir}.missing`))).toThrow(/AMAAS_ERR_CONFIG_INVALID|cannot be read/);
  });

  it('picks up a rotated key set, and keeps the old one when an edit is broken', async () => {
    const file = temp.file('jwks.json', await jwks(rsa));
    const v = JwtVerifier.start(config(file), { pollIntervalMs: 20 });
    verifiers.push(v);
    expect((await v.verify(await token({ key: rsa }), policy)).ok).toBe(true);
    expect((await v.verify(await token({ key: ec }), policy)).ok).toBe(false);
    fs.writeFileSync(file, '{ "keys": [ broken');
    await until(() => v.failures >= 1, 'the broken JWKS edit to be seen', 10_000);
    expect((await v.verify(await token({ key: rsa }), policy)).ok).toBe(true);
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, await jwks(ec));
    fs.renameSync(tmp, file);
    await until(() => v.reloads >= 1, 'the rotated JWKS to be read', 10_000);
    expect((await v.verify(await token({ key: ec }), policy)).ok).toBe(true);
    expect((await v.verify(await token({ key: rsa }), policy)).ok).toBe(false);
  });
});

describe('auth.jwt in the server config', () => {
  const base = { model_repository: '/tmp/models' };
  const jwt = { issuer: ISSUER, audience: AUDIENCE, jwks_file: 'jwks.json' };

  it('resolves with the defaults', () => {
    const c = resolveServerConfig({ ...base, auth: { tenants_file: 't.yaml', jwt } });
    expect(c.auth.jwt).toMatchObject({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: null, tenantClaim: 'tenant', scopesClaim: 'scope', clockToleranceS: 30, algorithms: ['RS256', 'ES256', 'EdDSA'] });
    expect(c.auth.jwt?.jwksFile).toMatch(/^\/.*jwks\.json$/);
    expect(resolveServerConfig(base).auth.jwt).toBeNull();
  });

  it('refuses auth.jwt without a tenants file, saying why', () => {
    expect(() => resolveServerConfig({ ...base, auth: { jwt } })).toThrow(/tenants_file.*tenant claim must name a tenant/s);
  });

  it('needs exactly one of jwks_file and jwks_url, an http(s) URL, and known algorithms', () => {
    const auth = (j: object) => ({ ...base, auth: { tenants_file: 't.yaml', jwt: j } });
    expect(() => resolveServerConfig(auth({ issuer: ISSUER, audience: AUDIENCE }))).toThrow(/exactly one of jwks_file and jwks_url/);
    expect(() => resolveServerConfig(auth({ ...jwt, jwks_url: 'https://issuer.test/jwks' }))).toThrow(/exactly one/);
    expect(() => resolveServerConfig(auth({ issuer: ISSUER, audience: AUDIENCE, jwks_url: 'file:///etc/jwks' }))).toThrow(/http/);
    expect(resolveServerConfig(auth({ issuer: ISSUER, audience: [AUDIENCE, 'b'], jwks_url: 'https://issuer.test/jwks' })).auth.jwt?.jwksUrl).toBe('https://issuer.test/jwks');
    expect(() => resolveServerConfig(auth({ ...jwt, algorithms: ['HS256'] }))).toThrow();
    expect(() => resolveServerConfig(auth({ ...jwt, algorithms: ['none'] }))).toThrow();
  });
});
