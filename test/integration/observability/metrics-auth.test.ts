/**
 * Metrics with auth on: /metrics answers without a key (its own port), the gate's refusals on gRPC and REST and
 * the service's PERMISSION_DENIED for a model count as reason "auth", requests count per tenant, and a worker
 * that dies is counted as a restart once Piscina replaces it.
 */
import * as grpc from '@grpc/grpc-js';
import fs from 'node:fs';
import path from 'node:path';
import { makeRepository } from '../../helpers/model-repository';
import { scrape } from '../../helpers/prometheus-text';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { until } from '../../helpers/until';
import { KEYS, failure, httpRequest, scaleInferJson, securityDir, tenantsYaml, SdkClients } from '../security/security-fixtures';

let ts: TestServer;
const clients = new SdkClients(() => ts.address);
const sdk = (apiKey?: string) => clients.with(apiKey);
const x = { x: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } };

beforeAll(async () => {
  const dir = securityDir();
  const tenantsFile = path.join(dir, 'tenants.yaml');
  fs.writeFileSync(tenantsFile, tenantsYaml());
  const repo = await makeRepository([{ model: 'scale', config: { instances: 2, intra_op_threads: 1 } }, { model: 'mlp' }]);
  ts = await startTestServer(repo, { metrics_port: 0, http_port: 0, auth: { tenants_file: tenantsFile }, audit: { file: path.join(dir, 'audit.jsonl') } });
});

afterAll(async () => {
  clients.closeAll();
  await ts?.stop();
});

it('counts the gate refusals and per-tenant requests; /metrics needs no key', async () => {
  await sdk(KEYS.alpha).predict('scale', x);
  await sdk(KEYS.alpha).predict('scale', x);
  await sdk(KEYS.beta).predict('mlp', { x: { data: new Float32Array(64), dims: [1, 64] } });
  expect((await failure(sdk().predict('scale', x))).code).toBe(grpc.status.UNAUTHENTICATED);
  expect((await failure(sdk('not-a-key').predict('scale', x))).code).toBe(grpc.status.UNAUTHENTICATED);
  expect((await httpRequest(ts.server.httpPort!, 'POST', '/v2/models/scale/infer', {}, scaleInferJson)).status).toBe(401);
  // alpha may not use mlp: the service refuses it (PERMISSION_DENIED) before any version is chosen.
  expect((await failure(sdk(KEYS.alpha).predict('mlp', x))).code).toBe(grpc.status.PERMISSION_DENIED);

  const m = await scrape(ts.server.metricsPort!);
  expect(m.value('amaas_refusals_total', { model: '', reason: 'auth' })).toBe(4);
  expect(m.value('amaas_tenant_requests_total', { tenant: 'alpha', model: 'scale', code: 'OK' })).toBe(2);
  expect(m.value('amaas_tenant_requests_total', { tenant: 'beta', model: 'mlp', code: 'OK' })).toBe(1);
  expect(m.sum('amaas_tenant_requests_total', { tenant: 'alpha' })).toBe(2);
  expect(m.value('amaas_requests_total', { model: 'scale', version: '1', protocol: 'amaas', code: 'OK' })).toBe(2);
});

it('counts a worker that died and was replaced', async () => {
  const pool = ts.server.registry.get('scale')!.versions.get(1)!.sessionPool!;
  const before = await scrape(ts.server.metricsPort!);
  expect(before.value('amaas_worker_restarts_total', { model: 'scale', version: '1' })).toBe(0);
  const victim = pool.threads[0];
  const exited = new Promise((resolve) => victim.once('exit', resolve));
  await victim.terminate();
  await exited;
  await until(async () => (await scrape(ts.server.metricsPort!)).value('amaas_worker_restarts_total', { model: 'scale', version: '1' }) === 1, 'one worker restart counted');
  await sdk(KEYS.alpha).predict('scale', x);
  expect((await scrape(ts.server.metricsPort!)).value('amaas_worker_restarts_total', { model: 'scale', version: '1' })).toBe(1);
});
