/**
 * The response cache behind the security gate: an answer one tenant's request put in the cache never reaches a
 * tenant that may not use the model. The key holds nothing secret; the gate and the model check run before the
 * lookup, so the refusal is the one the tenant gets with the cache off, and it is no hit.
 */
import * as grpc from '@grpc/grpc-js';
import fs from 'node:fs';
import path from 'node:path';
import { makeRepository } from '../../helpers/model-repository';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { OipClient } from '../kserve/oip-client';
import { KEYS, SdkClients, bearer, failure, securityDir, tenantsYaml } from '../security/security-fixtures';

const CACHED = { response_cache: { max_bytes: '1MiB' } };
let ts: TestServer;
let oip: OipClient;
const clients = new SdkClients(() => ts.address);
const x = { x: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } };

beforeAll(async () => {
  const dir = securityDir();
  const tenantsFile = path.join(dir, 'tenants.yaml');
  fs.writeFileSync(tenantsFile, tenantsYaml());
  const repo = await makeRepository([{ model: 'scale', config: CACHED }, { model: 'mlp', config: CACHED }]);
  ts = await startTestServer(repo, { auth: { tenants_file: tenantsFile }, audit: { file: path.join(dir, 'audit.jsonl') } });
  oip = new OipClient(ts.address);
});

afterAll(async () => {
  clients.closeAll();
  oip.close();
  await ts.stop();
});

async function hits(model: string): Promise<number> {
  const { model_stats } = await oip.call('ModelStatistics', { name: model }, bearer(KEYS.ops));
  return Number(model_stats[0].inference_stats.cache_hit.count);
}

it('never serves a cached answer to a tenant outside the model\'s patterns', async () => {
  // alpha may use scale: the second call is a hit.
  const first = await clients.with(KEYS.alpha).predict('scale', x);
  const second = await clients.with(KEYS.alpha).predict('scale', x);
  expect(Array.from(second.outputs.y.data as Float32Array)).toEqual(Array.from(first.outputs.y.data as Float32Array));
  expect(await hits('scale')).toBe(1);
  // beta may not: the same request is refused as if the model did not exist, and is no hit.
  const refused = await failure(clients.with(KEYS.beta).predict('scale', x));
  expect(refused.code).toBe(grpc.status.PERMISSION_DENIED);
  const unknown = await failure(clients.with(KEYS.beta).predict('no_such_model', x));
  expect(refused.details).toBe(unknown.details.replace('no_such_model', 'scale'));
  expect(await hits('scale')).toBe(1);
  // No key at all: refused before any model is looked at.
  expect((await failure(clients.with(undefined).predict('scale', x))).code).toBe(grpc.status.UNAUTHENTICATED);
  expect(await hits('scale')).toBe(1);
});
