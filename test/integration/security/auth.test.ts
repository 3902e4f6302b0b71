/**
 * API-key auth on every protocol, with a tenants file the test writes: amaas.v1 through the SDK (apiKey) and
 * raw stubs, the Open Inference Protocol through the independent client, and REST through node:http. No key,
 * a bad key, an expired key: UNAUTHENTICATED / 401 with `WWW-Authenticate: Bearer`, one message for all. A
 * model outside the tenant's patterns and a model that does not exist: PERMISSION_DENIED / 403, the same
 * message. An infer key on UnloadModel: PERMISSION_DENIED. Listings show only the tenant's models. Health is
 * open, and closed with auth.public_health: false.
 */
import * as grpc from '@grpc/grpc-js';
import fs from 'node:fs';
import path from 'node:path';
import { makeRepository } from '../../helpers/model-repository';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { OipClient } from '../kserve/oip-client';
import { fp32Bytes } from '../kserve/oip-fixtures';
import { KEYS, RawStubs, bearer, failure, httpRequest, scaleInferJson, scalePredict, securityDir, tenantsYaml, withAuthorization, SdkClients } from './security-fixtures';

let repo: string;
let ts: TestServer;
let raw: RawStubs;
let oip: OipClient;
let http: number;
const clients = new SdkClients(() => ts.address);
const sdk = (apiKey?: string) => clients.with(apiKey);
const x = { x: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } };

beforeAll(async () => {
  const dir = securityDir();
  const tenantsFile = path.join(dir, 'tenants.yaml');
  fs.writeFileSync(tenantsFile, tenantsYaml());
  repo = await makeRepository([{ model: 'scale' }, { model: 'mlp' }]);
  ts = await startTestServer(repo, { http_port: 0, auth: { tenants_file: tenantsFile }, audit: { file: path.join(dir, 'audit.jsonl') } });
  raw = new RawStubs(ts.address);
  oip = new OipClient(ts.address);
  http = ts.server.httpPort!;
});

afterAll(async () => {
  clients.closeAll();
  raw.close();
  oip.close();
  await ts.stop();
});

describe('amaas.v1', () => {
  it('serves a tenant its own model', async () => {
    const r = await sdk(KEYS.alpha).predict('scale', x);
    expect(Array.from(r.outputs.y.data as Float32Array)).toEqual([3, 5, 7, 9]);
  });

  it('refuses no key, a bad key and an expired key with UNAUTHENTICATED and one message', async () => {
    const none = await failure(sdk().predict('scale', x));
    const bad = await failure(sdk('not-a-key').predict('scale', x));
    const expired = await failure(sdk(KEYS.alphaExpired).predict('scale', x));
    for (const f of [none, bad, expired]) {
      expect(f.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(f.errorCode).toBe('AMAAS_ERR_UNAUTHENTICATED');
      expect(f.details).toBe(none.details);
    }
    // The refusal names no key id, tenant or model.
    expect(none.details).not.toMatch(/alpha|beta|ops|scale/);
  });

  it("answers another tenant's model exactly like a model that does not exist", async () => {
    const other = await failure(sdk(KEYS.alpha).predict('mlp', x));
    const missing = await failure(sdk(KEYS.alpha).predict('no_such_model', x));
    expect(other).toEqual(missing);
    expect(other.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(other.errorCode).toBe('AMAAS_ERR_PERMISSION_DENIED');
    const meta = await failure(sdk(KEYS.alpha).getModelMetadata('mlp'));
    expect(meta).toEqual(await failure(sdk(KEYS.alpha).getModelMetadata('no_such_model')));
    expect(meta.details).toBe(other.details);
  });

  it('refuses each item of a BatchPredict stream for a model the tenant may not use, and serves the rest', async () => {
    const items = [
      { id: 'mine', model: 'scale', inputs: x },
      { id: 'theirs', model: 'mlp', inputs: { x: { data: new Float32Array(64), dims: [1, 64] } } },
    ];
    const results = new Map<string, any>();
    for await (const r of sdk(KEYS.alpha).batchPredict(items)) results.set(r.id, r);
    expect(results.get('mine').ok).toBe(true);
    expect(results.get('theirs')).toMatchObject({ ok: false, code: grpc.status.PERMISSION_DENIED, errorCode: 'AMAAS_ERR_PERMISSION_DENIED' });
  });

  it('refuses an infer key on UnloadModel, and a metadata+admin key on Predict', async () => {
    const unload = await failure(sdk(KEYS.alpha).unloadModel('scale'));
    expect(unload.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(unload.errorCode).toBe('AMAAS_ERR_PERMISSION_DENIED');
    expect(unload.details).toContain("'admin' scope");
    const predict = await failure(sdk(KEYS.ops).predict('scale', x));
    expect(predict.code).toBe(grpc.status.PERMISSION_DENIED);
    // The model is still served: the refused unload did nothing.
    await sdk(KEYS.alpha).predict('scale', x);
  });

  it('lists only the tenant’s models', async () => {
    expect((await sdk(KEYS.alpha).listModels()).map((m) => m.name)).toEqual(['scale']);
    expect((await sdk(KEYS.beta).listModels()).map((m) => m.name)).toEqual(['mlp']);
    expect((await sdk(KEYS.ops).listModels()).map((m) => m.name).sort()).toEqual(['mlp', 'scale']);
  });

  it('lets an admin key control models it covers', async () => {
    const m = await sdk(KEYS.ops).setDefaultVersion('scale', 0);
    expect(m.name).toBe('scale');
  });

  it('refuses a second authorization value and a scheme other than Bearer', async () => {
    const md = bearer(KEYS.alpha);
    md.add('authorization', `Bearer ${KEYS.alpha}`);
    // grpc-js itself refuses a repeated authorization header (INTERNAL); the gate would too (UNAUTHENTICATED).
    expect([grpc.status.UNAUTHENTICATED, grpc.status.INTERNAL]).toContain((await failure(raw.call(raw.v1, 'Predict', scalePredict(), md))).code);
    expect((await failure(raw.call(raw.v1, 'Predict', scalePredict(), withAuthorization(`Basic ${KEYS.alpha}`)))).code).toBe(grpc.status.UNAUTHENTICATED);
    expect(await raw.call(raw.v1, 'Predict', scalePredict(), withAuthorization(`bearer ${KEYS.alpha}`))).toMatchObject({ model_name: 'scale' });
  });

  it('keeps grpc.health.v1 open', async () => {
    expect(await raw.call(raw.health, 'Check', { service: '' }, new grpc.Metadata())).toEqual({ status: 'SERVING' });
  });
});

describe('Open Inference Protocol (gRPC)', () => {
  const infer = (model: string) => ({
    model_name: model,
    id: 'r1',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4] }],
    raw_input_contents: [fp32Bytes([1, 2, 3, 4])],
  });

  it('serves ModelInfer with a key and refuses it without one, with a bad or an expired key', async () => {
    expect((await oip.call('ModelInfer', infer('scale'), bearer(KEYS.alpha))).model_name).toBe('scale');
    for (const key of [undefined, 'nope', KEYS.alphaExpired]) {
      const e = await oip.failure('ModelInfer', infer('scale'), bearer(key));
      expect(e.code).toBe(grpc.status.UNAUTHENTICATED);
    }
  });

  it("answers another tenant's model like a missing one, on infer and metadata RPCs", async () => {
    for (const rpc of ['ModelInfer', 'ModelMetadata', 'ModelReady', 'ModelConfig', 'ModelStatistics'] as const) {
      const req = rpc === 'ModelInfer' ? infer : (name: string) => ({ name });
      const other = await oip.failure(rpc, req('mlp'), bearer(KEYS.alpha));
      const missing = await oip.failure(rpc, req('no_such_model'), bearer(KEYS.alpha));
      expect([rpc, other.code, other.details]).toEqual([rpc, grpc.status.PERMISSION_DENIED, missing.details]);
      expect(missing.code).toBe(grpc.status.PERMISSION_DENIED);
    }
  });

  it('ModelStreamInfer refuses a model the tenant may not use per request, and serves its own', async () => {
    const stream = oip.stream(bearer(KEYS.alpha));
    const answers: any[] = [];
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (m) => answers.push(m));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    stream.write({ ...infer('mlp'), id: 'theirs' });
    stream.write({ ...infer('scale'), id: 'mine' });
    stream.end();
    await done;
    const byId = new Map(answers.map((a) => [a.infer_response.id, a]));
    expect(byId.get('mine').error_message).toBe('');
    expect(byId.get('theirs').error_message).toContain('AMAAS_ERR_PERMISSION_DENIED');
  });

  it('refuses an infer key on RepositoryModelUnload and filters RepositoryIndex and ModelStatistics', async () => {
    const e = await oip.failure('RepositoryModelUnload', { model_name: 'scale' }, bearer(KEYS.alpha));
    expect(e.code).toBe(grpc.status.PERMISSION_DENIED);
    const index = await oip.call('RepositoryIndex', {}, bearer(KEYS.alpha));
    expect(index.models.map((m: any) => m.name)).toEqual(['scale']);
    const stats = await oip.call('ModelStatistics', {}, bearer(KEYS.beta));
    expect(stats.model_stats.map((m: any) => m.name)).toEqual(['mlp']);
    const all = await oip.call('RepositoryIndex', {}, bearer(KEYS.ops));
    expect(all.models.map((m: any) => m.name).sort()).toEqual(['mlp', 'scale']);
  });

  it('keeps ServerLive and ServerReady open, and ServerMetadata behind a key', async () => {
    expect(await oip.call('ServerLive', {})).toEqual({ live: true });
    expect(await oip.call('ServerReady', {})).toEqual({ ready: true });
    expect((await oip.failure('ServerMetadata', {})).code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await oip.call('ServerMetadata', {}, bearer(KEYS.alpha))).name).toBe('amaas');
  });
});

describe('REST', () => {
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });

  it('answers 401 with WWW-Authenticate: Bearer for no key, a bad key and an expired key', async () => {
    for (const headers of [{}, auth('wrong'), auth(KEYS.alphaExpired), { authorization: 'Bearer' }]) {
      const r = await httpRequest(http, 'POST', '/v2/models/scale/infer', headers, scaleInferJson);
      expect([r.status, r.headers['www-authenticate']]).toEqual([401, 'Bearer']);
      expect(r.body.error).toMatch(/missing or invalid credentials/);
    }
  });

  it("serves a tenant's own model and answers 403 alike for another tenant's and a missing one", async () => {
    const ok = await httpRequest(http, 'POST', '/v2/models/scale/infer', auth(KEYS.alpha), scaleInferJson);
    expect(ok.status).toBe(200);
    expect(ok.body.outputs[0].data).toEqual([3, 5, 7, 9]);
    const other = await httpRequest(http, 'POST', '/v2/models/mlp/infer', auth(KEYS.alpha), scaleInferJson);
    const missing = await httpRequest(http, 'POST', '/v2/models/no_such_model/infer', auth(KEYS.alpha), scaleInferJson);
    expect(other.status).toBe(403);
    expect(other.body).toEqual(missing.body);
    expect(missing.status).toBe(403);
    for (const p of ['/v2/models/mlp', '/v2/models/mlp/ready']) {
      expect((await httpRequest(http, 'GET', p, auth(KEYS.alpha))).status).toBe(403);
    }
    expect((await httpRequest(http, 'GET', '/v2/models/scale/ready', auth(KEYS.alpha))).status).toBe(200);
  });

  it('answers 403 for a key without the scope', async () => {
    expect((await httpRequest(http, 'POST', '/v2/models/scale/infer', auth(KEYS.ops), scaleInferJson)).status).toBe(403);
  });

  it('keeps the health routes open and the rest behind a key', async () => {
    expect((await httpRequest(http, 'GET', '/v2/health/live')).status).toBe(200);
    expect((await httpRequest(http, 'GET', '/v2/health/ready')).status).toBe(200);
    expect((await httpRequest(http, 'GET', '/v2')).status).toBe(401);
    expect((await httpRequest(http, 'GET', '/v2/nowhere')).status).toBe(401);
    expect((await httpRequest(http, 'GET', '/v2/nowhere', auth(KEYS.alpha))).status).toBe(400);
  });
});

describe('auth.public_health: false', () => {
  let closed: TestServer;
  beforeAll(async () => {
    const dir = securityDir();
    const tenantsFile = path.join(dir, 'tenants.yaml');
    fs.writeFileSync(tenantsFile, tenantsYaml());
    closed = await startTestServer(repo, {
      http_port: 0,
      auth: { tenants_file: tenantsFile, public_health: false },
      audit: { file: path.join(dir, 'audit.jsonl') },
    });
  });
  afterAll(() => closed.stop());

  it('closes grpc.health.v1, ServerLive/ServerReady and the REST health routes to callers without a key', async () => {
    const stubs = new RawStubs(closed.address);
    const client = new OipClient(closed.address);
    try {
      expect((await failure(stubs.call(stubs.health, 'Check', { service: '' }, new grpc.Metadata()))).code).toBe(grpc.status.UNAUTHENTICATED);
      expect(await stubs.call(stubs.health, 'Check', { service: '' }, bearer(KEYS.beta))).toEqual({ status: 'SERVING' });
      expect((await client.failure('ServerLive', {})).code).toBe(grpc.status.UNAUTHENTICATED);
      expect(await client.call('ServerReady', {}, bearer(KEYS.ops))).toEqual({ ready: true });
      const port = closed.server.httpPort!;
      expect((await httpRequest(port, 'GET', '/v2/health/live')).status).toBe(401);
      expect((await httpRequest(port, 'GET', '/v2/health/ready', auth(KEYS.alpha))).status).toBe(200);
    } finally {
      stubs.close();
      client.close();
    }
  });

  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
});
