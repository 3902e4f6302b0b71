/**
 * Per-tenant limits against a real server with a tenants file: a tenant over its requests_per_second is refused
 * at once with RESOURCE_EXHAUSTED, the grpc-retry-pushback-ms trailer and a google.rpc.Status whose RetryInfo,
 * QuotaFailure and ErrorInfo decode to the same hint and limit; REST answers 429 with Retry-After; another
 * tenant is not affected; a reload of the tenants file applies new limits; max_concurrent caps requests in
 * flight. The rates are so low (one request per 1000 s) that no refill can happen while a test runs, so nothing
 * here depends on the machine's speed.
 */
import * as grpc from '@grpc/grpc-js';
import fs from 'node:fs';
import path from 'node:path';
import { AmaasClient } from '../../../src/client/amaas-client';
import { makeRepository } from '../../helpers/model-repository';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { until } from '../../helpers/until';
import { WorkerHold } from '../../helpers/worker-hold';
import { replaceFile, securityDir } from '../security/security-fixtures';
import { KEYS, refusal, restInfer, scaleInputs, tenantsYaml } from './tenant-fixtures';

const SLOW = '{ requests_per_second: 0.001, burst: 2 }';

let ts: TestServer;
let tenantsFile: string;
const clients: AmaasClient[] = [];
const client = (key: string) => {
  const c = new AmaasClient(ts.address, { apiKey: key });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  const dir = securityDir();
  tenantsFile = path.join(dir, 'tenants.yaml');
  fs.writeFileSync(tenantsFile, tenantsYaml(SLOW));
  const repo = await makeRepository([{ model: 'scale' }]);
  ts = await startTestServer(repo, { http_port: 0, auth: { tenants_file: tenantsFile } });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await ts?.stop();
});

it('refuses a tenant past its burst with RESOURCE_EXHAUSTED, a pushback trailer and decodable status details', async () => {
  const alpha = client(KEYS.alpha);
  await alpha.predict('scale', scaleInputs(1));
  await alpha.predict('scale', scaleInputs(1));
  const r = await refusal(alpha.predict('scale', scaleInputs(1)));
  expect(r).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, errorCode: 'AMAAS_ERR_RATE_LIMITED' });
  expect(r.details).toMatch(/tenant alpha is over its rate limit of 0\.001 requests per second \(burst 2\); retry in \d+ ms/);
  // A token returns 1000 s after the first take; the hint is what is left of that, in whole ms.
  const pushback = Number(r.pushback);
  expect(r.pushback).toMatch(/^\d+$/);
  expect(pushback).toBeGreaterThan(900_000);
  expect(pushback).toBeLessThanOrEqual(1_000_000);
  expect(r.status).toEqual({
    code: grpc.status.RESOURCE_EXHAUSTED,
    message: r.details,
    retryDelayMs: pushback,
    quotaViolations: [{ subject: 'tenant:alpha', description: 'requests_per_second 0.001, burst 2' }],
    reason: 'AMAAS_ERR_RATE_LIMITED',
  });
  // Another tenant has its own (no) limits.
  const beta = client(KEYS.beta);
  for (let i = 0; i < 5; i++) await beta.predict('scale', scaleInputs(1));
});

it('answers a REST call over the limit with 429 and Retry-After in whole seconds', async () => {
  const r = await restInfer(ts.server.httpPort!, 'scale', 1, KEYS.alpha);
  expect(r.status).toBe(429);
  expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(900);
  expect(r.body).toEqual({ error: expect.stringContaining('tenant alpha is over its rate limit') });
  expect((await restInfer(ts.server.httpPort!, 'scale', 1, KEYS.beta)).status).toBe(200);
});

it('counts each stream item as a request: refused items are answered in-band and the stream goes on', async () => {
  const items = [1, 2, 3].map((i) => ({ id: `item-${i}`, model: 'scale', inputs: scaleInputs(1) }));
  const answers = [];
  for await (const r of client(KEYS.alpha).batchPredict(items)) answers.push(r);
  expect(answers.map((a) => a.id).sort()).toEqual(['item-1', 'item-2', 'item-3']);
  for (const a of answers) expect(a).toMatchObject({ ok: false, code: grpc.status.RESOURCE_EXHAUSTED, errorCode: 'AMAAS_ERR_RATE_LIMITED' });
});

it('applies new limits when the tenants file is reloaded: rows_per_second, then none', async () => {
  const reloads = ts.server.security.tenants!.reloads;
  replaceFile(tenantsFile, tenantsYaml('{ rows_per_second: 0.001 }'));
  await until(() => ts.server.security.tenants!.reloads > reloads, 'the tenants file reloaded');
  const alpha = client(KEYS.alpha);
  // A request larger than the bucket passes once, when it is full, then the bucket is in debt.
  await alpha.predict('scale', scaleInputs(3));
  const r = await refusal(alpha.predict('scale', scaleInputs(1)));
  expect(r.errorCode).toBe('AMAAS_ERR_RATE_LIMITED');
  expect(r.details).toContain('0.001 rows per second (this request has 1)');
  expect(r.status?.quotaViolations).toEqual([{ subject: 'tenant:alpha', description: 'rows_per_second 0.001' }]);

  const again = ts.server.security.tenants!.reloads;
  replaceFile(tenantsFile, tenantsYaml('{}'));
  await until(() => ts.server.security.tenants!.reloads > again, 'the tenants file reloaded');
  for (let i = 0; i < 5; i++) await alpha.predict('scale', scaleInputs(2));
});

describe('max_concurrent', () => {
  const hold = new WorkerHold();
  let held: TestServer;

  beforeAll(async () => {
    hold.install();
    const repo = await makeRepository([{ model: 'scale', config: { instances: 1 } }]);
    // Without auth, the implicit tenant `default` takes the top-level limits.
    held = await startTestServer(repo, { limits: { max_concurrent: 2 } });
  });

  afterAll(async () => {
    hold.release();
    await held?.stop();
    hold.cleanup();
  });

  it('caps the requests of the implicit tenant in flight, and frees a slot when one is answered', async () => {
    hold.hold();
    const first = held.client.predict('scale', scaleInputs(1));
    const second = held.client.predict('scale', scaleInputs(1));
    await hold.waitHeld(1);
    const r = await refusal(held.client.predict('scale', scaleInputs(1)));
    expect(r).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, errorCode: 'AMAAS_ERR_CONCURRENCY_LIMIT', pushback: expect.stringMatching(/^[1-9]\d*$/) });
    expect(r.details).toContain('tenant default already has 2 requests in flight');
    expect(r.status?.quotaViolations).toEqual([{ subject: 'tenant:default', description: 'max_concurrent 2' }]);
    hold.release();
    await Promise.all([first, second]);
    await held.client.predict('scale', scaleInputs(1));
  });
});
