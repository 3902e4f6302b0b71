/**
 * JWT bearer tokens (auth.jwt) against a real server on port 0 with a JWKS file the test writes, beside the
 * API keys of security-fixtures' tenants file: a valid JWT works over amaas.v1 (the SDK's apiKey option
 * sends it as `authorization: Bearer <token>`), the Open Inference Protocol over gRPC (unary and streaming)
 * and REST. Bad tokens get UNAUTHENTICATED / 401 with the same message as a bad API key, the precise reason
 * only in the audit file (which never holds a token). A JWT's tenant is held to its models and scopes like
 * an API key. Replacing the JWKS file (key rotation) is picked up without a restart. And a server whose
 * JWKS comes from a URL, served here by node:http on 127.0.0.1.
 */
import * as grpc from '@grpc/grpc-js';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { KeyLike } from 'jose';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { AmaasClient } from '../../../src/client/amaas-client';
import { makeRepository } from '../../helpers/model-repository';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { until } from '../../helpers/until';
import { OipClient } from '../kserve/oip-client';
import { fp32Bytes } from '../kserve/oip-fixtures';
import { KEYS, bearer, failure, httpRequest, replaceFile, scaleInferJson, securityDir, tenantsYaml, SdkClients } from './security-fixtures';

const ISSUER = 'https://login.example.test';
const AUDIENCE = 'amaas';

interface SigningKey {
  readonly privateKey: KeyLike;
  readonly publicKey: KeyLike;
  readonly kid: string;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateKey, publicKey, kid };
}

async function jwksText(...keys: SigningKey[]): Promise<string> {
  return JSON.stringify({ keys: await Promise.all(keys.map(async (k) => ({ ...(await exportJWK(k.publicKey)), kid: k.kid, alg: 'ES256', use: 'sig' }))) });
}

interface Claims {
  readonly tenant?: string;
  readonly scope?: string;
  readonly iss?: string;
  readonly exp?: number;
}

function sign(key: SigningKey, c: Claims = {}): Promise<string> {
  const payload: Record<string, unknown> = { tenant: c.tenant ?? 'alpha' };
  if (c.scope !== undefined) payload.scope = c.scope;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'ES256', kid: key.kid })
    .setIssuer(c.iss ?? ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(`svc-${c.tenant ?? 'alpha'}`)
    .setExpirationTime(c.exp ?? Math.floor(Date.now() / 1000) + 600)
    .sign(key.privateKey);
}

const x = { x: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } };
const oipInfer = (model: string, id = 'r1') => ({
  model_name: model,
  id,
  inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4] }],
  raw_input_contents: [fp32Bytes([1, 2, 3, 4])],
});
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

let repo: string;
let dir: string;
let jwksFile: string;
let auditFile: string;
let ts: TestServer;
let oip: OipClient;
let httpPort: number;
let first: SigningKey;
let second: SigningKey;
let stranger: SigningKey;
/** Every bad token the tests sent: none may appear in the audit file. */
const badTokens: string[] = [];
const clients = new SdkClients(() => ts.address);
const sdk = (apiKey?: string) => clients.with(apiKey);

beforeAll(async () => {
  [first, second, stranger] = await Promise.all([signingKey('key-1'), signingKey('key-2'), signingKey('key-1')]);
  dir = securityDir();
  const tenantsFile = path.join(dir, 'tenants.yaml');
  fs.writeFileSync(tenantsFile, tenantsYaml());
  jwksFile = path.join(dir, 'jwks.json');
  fs.writeFileSync(jwksFile, await jwksText(first));
  auditFile = path.join(dir, 'audit.jsonl');
  repo = await makeRepository([{ model: 'scale' }, { model: 'mlp' }]);
  ts = await startTestServer(repo, {
    http_port: 0,
    auth: { tenants_file: tenantsFile, jwt: { issuer: ISSUER, audience: AUDIENCE, jwks_file: jwksFile } },
    audit: { file: auditFile },
  });
  oip = new OipClient(ts.address);
  httpPort = ts.server.httpPort!;
});

afterAll(async () => {
  clients.closeAll();
  oip.close();
  await ts.stop();
});

/** Bad tokens of every kind, each signed (or not) so that only one thing is wrong with it. */
async function badTokenSet(): Promise<Record<string, string>> {
  const [h, p] = (await sign(first)).split('.');
  const set = {
    'wrong issuer': await sign(first, { iss: 'https://evil.test' }),
    expired: await sign(first, { exp: Math.floor(Date.now() / 1000) - 3600 }),
    'other key': await sign(stranger),
    'unknown tenant': await sign(first, { tenant: 'globex' }),
    'alg none': `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`,
    'bad signature': `${h}.${p}.${Buffer.alloc(64, 7).toString('base64url')}`,
  };
  badTokens.push(...Object.values(set));
  return set;
}

describe('amaas.v1', () => {
  it("serves a JWT's tenant its model through the SDK", async () => {
    const r = await sdk(await sign(first)).predict('scale', x);
    expect(Array.from(r.outputs.y.data as Float32Array)).toEqual([3, 5, 7, 9]);
    expect((await sdk(await sign(first)).listModels()).map((m) => m.name)).toEqual(['scale']);
  });

  it('refuses bad tokens with UNAUTHENTICATED and the message a bad API key gets', async () => {
    const badKey = await failure(sdk('not-a-key').predict('scale', x));
    for (const [what, token] of Object.entries(await badTokenSet())) {
      const f = await failure(sdk(token).predict('scale', x));
      expect([what, f.code, f.errorCode, f.details]).toEqual([what, grpc.status.UNAUTHENTICATED, 'AMAAS_ERR_UNAUTHENTICATED', badKey.details]);
    }
  });

  it("answers a model outside the JWT tenant's patterns exactly like an API key of that tenant gets", async () => {
    const token = await sign(first);
    const viaJwt = await failure(sdk(token).predict('mlp', x));
    expect(viaJwt).toEqual(await failure(sdk(KEYS.alpha).predict('mlp', x)));
    expect(viaJwt.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(await failure(sdk(token).predict('no_such_model', x))).toEqual(viaJwt);
  });

  it("narrows the tenant's scopes to the token's scope claim", async () => {
    const metadataOnly = await sign(first, { scope: 'metadata' });
    expect((await sdk(metadataOnly).listModels()).map((m) => m.name)).toEqual(['scale']);
    const f = await failure(sdk(metadataOnly).predict('scale', x));
    expect([f.code, f.errorCode]).toEqual([grpc.status.PERMISSION_DENIED, 'AMAAS_ERR_PERMISSION_DENIED']);
    // The token cannot widen them: alpha has no admin scope whatever the token says.
    expect((await failure(sdk(await sign(first, { scope: 'infer admin' })).unloadModel('scale'))).code).toBe(grpc.status.PERMISSION_DENIED);
  });

  it('streams BatchPredict with a JWT (the call waits for the async decision)', async () => {
    const items = [
      { id: 'a', model: 'scale', inputs: x },
      { id: 'b', model: 'scale', inputs: x },
      { id: 'theirs', model: 'mlp', inputs: { x: { data: new Float32Array(64), dims: [1, 64] } } },
    ];
    const results = new Map<string, any>();
    for await (const r of sdk(await sign(first)).batchPredict(items)) results.set(r.id, r);
    expect([results.get('a').ok, results.get('b').ok]).toEqual([true, true]);
    expect(results.get('theirs')).toMatchObject({ ok: false, code: grpc.status.PERMISSION_DENIED });
  });

  it('keeps API keys working beside JWTs', async () => {
    const r = await sdk(KEYS.alpha).predict('scale', x);
    expect(Array.from(r.outputs.y.data as Float32Array)).toEqual([3, 5, 7, 9]);
    expect((await failure(sdk(KEYS.alphaExpired).predict('scale', x))).code).toBe(grpc.status.UNAUTHENTICATED);
  });
});

describe('Open Inference Protocol (gRPC)', () => {
  it('serves ModelInfer with a JWT and refuses bad tokens', async () => {
    expect((await oip.call('ModelInfer', oipInfer('scale'), bearer(await sign(first)))).model_name).toBe('scale');
    for (const token of Object.values(await badTokenSet())) {
      expect((await oip.failure('ModelInfer', oipInfer('scale'), bearer(token))).code).toBe(grpc.status.UNAUTHENTICATED);
    }
    const other = await oip.failure('ModelInfer', oipInfer('mlp'), bearer(await sign(first)));
    const viaKey = await oip.failure('ModelInfer', oipInfer('mlp'), bearer(KEYS.alpha));
    expect([other.code, other.details]).toEqual([grpc.status.PERMISSION_DENIED, viaKey.details]);
  });

  it('streams ModelStreamInfer with a JWT: requests written before the decision are all answered', async () => {
    const stream = oip.stream(bearer(await sign(first)));
    const answers: any[] = [];
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (m) => answers.push(m));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    for (const id of ['s1', 's2', 's3']) stream.write(oipInfer('scale', id));
    stream.end();
    await done;
    expect(answers.map((a) => [a.infer_response.id, a.error_message]).sort()).toEqual([
      ['s1', ''],
      ['s2', ''],
      ['s3', ''],
    ]);
  });

  it('refuses a stream whose token is bad', async () => {
    const stream = oip.stream(bearer(await sign(stranger)));
    const ended = new Promise<grpc.ServiceError>((resolve) => {
      stream.on('data', () => undefined);
      stream.on('error', resolve);
    });
    stream.write(oipInfer('scale'));
    stream.end();
    expect((await ended).code).toBe(grpc.status.UNAUTHENTICATED);
  });
});

describe('REST', () => {
  it('serves a JWT, answers bad tokens 401 like a bad key, and another model 403', async () => {
    const ok = await httpRequest(httpPort, 'POST', '/v2/models/scale/infer', auth(await sign(first)), scaleInferJson);
    expect(ok.status).toBe(200);
    expect(ok.body.outputs[0].data).toEqual([3, 5, 7, 9]);
    const badKey = await httpRequest(httpPort, 'POST', '/v2/models/scale/infer', auth('wrong'), scaleInferJson);
    for (const token of Object.values(await badTokenSet())) {
      const r = await httpRequest(httpPort, 'POST', '/v2/models/scale/infer', auth(token), scaleInferJson);
      expect([r.status, r.headers['www-authenticate'], r.body]).toEqual([401, 'Bearer', badKey.body]);
    }
    const other = await httpRequest(httpPort, 'POST', '/v2/models/mlp/infer', auth(await sign(first)), scaleInferJson);
    const viaKey = await httpRequest(httpPort, 'POST', '/v2/models/mlp/infer', auth(KEYS.alpha), scaleInferJson);
    expect([other.status, other.body]).toEqual([403, viaKey.body]);
    expect((await httpRequest(httpPort, 'GET', '/v2/models/scale/ready', auth(await sign(first)))).status).toBe(200);
  });
});

describe('the audit trail', () => {
  it('records the precise reason of each refusal and never a token', async () => {
    await badTokenSet();
    await failure(sdk(await sign(first, { tenant: 'globex' })).predict('scale', x));
    const text = fs.readFileSync(auditFile, 'utf8');
    const reasons = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .map((e) => e.reason as string);
    for (const r of ['jwt expired', 'jwt signature invalid', 'jwt tenant not in the tenants file', 'jwt alg not allowed']) expect(reasons).toContain(r);
    expect(reasons.some((r) => /iss/.test(r))).toBe(true);
    expect(text).toContain('"tenant":"globex"');
    for (const t of badTokens) {
      expect(text).not.toContain(t);
      expect(text).not.toContain(t.split('.')[2] || t);
    }
  });
});

describe('key rotation', () => {
  it('picks up a replaced JWKS file without a restart', async () => {
    const next = await sign(second);
    expect((await failure(sdk(next).predict('scale', x))).code).toBe(grpc.status.UNAUTHENTICATED);
    const jwt = ts.server.security.jwt!;
    const before = jwt.reloads;
    // Overlap: both keys, then the new one alone.
    replaceFile(jwksFile, await jwksText(first, second));
    await until(() => jwt.reloads > before, 'the JWKS file with both keys to be read', 10_000);
    await sdk(next).predict('scale', x);
    await sdk(await sign(first)).predict('scale', x);
    replaceFile(jwksFile, await jwksText(second));
    await until(() => jwt.reloads > before + 1, 'the JWKS file with the new key alone to be read', 10_000);
    await sdk(await sign(second)).predict('scale', x);
    expect((await failure(sdk(await sign(first)).predict('scale', x))).code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('keeps the key set in force when the JWKS file is broken', async () => {
    const jwt = ts.server.security.jwt!;
    const before = jwt.failures;
    replaceFile(jwksFile, '{"keys": [');
    await until(() => jwt.failures > before, 'the broken JWKS file to be seen', 10_000);
    await sdk(await sign(second)).predict('scale', x);
  });
});

describe('auth.jwt.jwks_url', () => {
  let jwksServer: http.Server;
  let served = 0;
  let other: TestServer;

  beforeAll(async () => {
    const body = await jwksText(first);
    jwksServer = http.createServer((req, res) => {
      served++;
      if (req.url !== '/.well-known/jwks.json') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const port = (jwksServer.address() as AddressInfo).port;
    const tenantsFile = path.join(dir, 'tenants-url.yaml');
    fs.writeFileSync(tenantsFile, tenantsYaml());
    other = await startTestServer(repo, {
      auth: { tenants_file: tenantsFile, jwt: { issuer: ISSUER, audience: AUDIENCE, jwks_url: `http://127.0.0.1:${port}/.well-known/jwks.json` } },
      audit: { file: path.join(dir, 'audit-url.jsonl') },
    });
  });

  afterAll(async () => {
    await other.stop();
    await new Promise((resolve) => jwksServer.close(resolve));
  });

  it('fetches the JWKS from the URL, caches it, and verifies tokens with it', async () => {
    const c = new AmaasClient(other.address, { apiKey: await sign(first) });
    clients.track(c);
    const r = await c.predict('scale', x);
    expect(Array.from(r.outputs.y.data as Float32Array)).toEqual([3, 5, 7, 9]);
    expect(served).toBe(1);
    await c.predict('scale', x);
    expect(served).toBe(1);
    const bad = new AmaasClient(other.address, { apiKey: await sign(stranger) });
    clients.track(bad);
    expect((await failure(bad.predict('scale', x))).code).toBe(grpc.status.UNAUTHENTICATED);
  });
});
