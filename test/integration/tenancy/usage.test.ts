/**
 * Usage metering end to end: two tenants send a known workload (rows, refusals, an invalid request, gRPC and
 * REST) to a real server with a tenants file; then `amaas usage --json` (the CLI, as a separate process) prints
 * exactly the requests, rows, refusals and tensor bytes the test sent per tenant, the metrics endpoint's
 * amaas_tenant_* counters say the same, and a tenant without the admin scope reads only its own usage.
 */
import * as grpc from '@grpc/grpc-js';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { AmaasClient } from '../../../src/client/amaas-client';
import { makeRepository } from '../../helpers/model-repository';
import { scrape } from '../../helpers/prometheus-text';
import { CLI } from '../../helpers/server-process';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { securityDir } from '../security/security-fixtures';
import { KEYS, refusal, restInfer, scaleInputs, tenantsYaml } from './tenant-fixtures';

const run = promisify(execFile);
let ts: TestServer;
const clients: AmaasClient[] = [];

beforeAll(async () => {
  const dir = securityDir();
  const tenantsFile = path.join(dir, 'tenants.yaml');
  // alpha: six requests, then refused for 1000 s.
  fs.writeFileSync(tenantsFile, tenantsYaml('{ requests_per_second: 0.001, burst: 6 }'));
  const repo = await makeRepository([{ model: 'scale' }, { model: 'mlp' }]);
  ts = await startTestServer(repo, { http_port: 0, metrics_port: 0, auth: { tenants_file: tenantsFile } });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await ts?.stop();
});

const usageCli = (key: string, ...args: string[]) => run(process.execPath, [CLI, 'usage', '--address', ts.address, ...args], { env: { ...process.env, AMAAS_API_KEY: key } });
const mlpInputs = (rows: number) => ({ x: { data: new Float32Array(rows * 64).fill(0.5), dims: [rows, 64] } });
const FP32 = 4;

it('prints, per tenant, exactly the requests, rows, refusals and bytes the workload sent', async () => {
  const alpha = new AmaasClient(ts.address, { apiKey: KEYS.alpha });
  const beta = new AmaasClient(ts.address, { apiKey: KEYS.beta });
  clients.push(alpha, beta);
  // alpha on scale: 5 gRPC calls and 1 REST call of 1..6 rows, all OK; then 2 calls refused by its rate limit.
  for (let rows = 1; rows <= 5; rows++) await alpha.predict('scale', scaleInputs(rows));
  expect((await restInfer(ts.server.httpPort!, 'scale', 6, KEYS.alpha)).status).toBe(200);
  for (let i = 0; i < 2; i++) expect((await refusal(alpha.predict('scale', scaleInputs(1)))).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  // beta on mlp: 4 calls of 2 rows, and one with a wrong shape (answered INVALID_ARGUMENT: a request, not a row).
  for (let i = 0; i < 4; i++) await beta.predict('mlp', mlpInputs(2));
  expect((await refusal(beta.predict('mlp', { x: { data: new Float32Array(3), dims: [1, 3] } }))).code).toBe(grpc.status.INVALID_ARGUMENT);

  const { stdout } = await usageCli(KEYS.ops, '--json');
  const noRefusals = { rate_limit: 0, concurrency: 0, queue_full: 0, overloaded: 0 };
  expect(JSON.parse(stdout)).toEqual([
    {
      tenant: 'alpha',
      model: 'scale',
      version: 1,
      requests: 8,
      succeeded: 6,
      rows: 21,
      refused: { ...noRefusals, rate_limit: 2 },
      computeMs: expect.any(Number),
      // Inputs of every request answered (the refused ones too); outputs of the OK ones (y is [rows, 4]).
      bytesIn: (21 + 2) * 4 * FP32,
      bytesOut: 21 * 4 * FP32,
    },
    {
      tenant: 'beta',
      model: 'mlp',
      version: 1,
      requests: 5,
      succeeded: 4,
      rows: 8,
      refused: noRefusals,
      computeMs: expect.any(Number),
      bytesIn: 8 * 64 * FP32 + 3 * FP32,
      bytesOut: 8 * 10 * FP32,
    },
  ]);
  const rows = JSON.parse(stdout) as { computeMs: number }[];
  for (const r of rows) expect(r.computeMs).toBeGreaterThan(0);

  // The table shows the same rows.
  const table = (await usageCli(KEYS.ops, '--table')).stdout.split('\n');
  expect(table[0]).toMatch(/^TENANT\s+MODEL\s+VERSION\s+REQUESTS\s+OK\s+ROWS\s+REFUSED/);
  expect(table[1]).toMatch(/^alpha\s+scale\s+1\s+8\s+6\s+21\s+2 \(rate_limit 2\)/);
  expect(table[2]).toMatch(/^beta\s+mlp\s+1\s+5\s+4\s+8\s+0\s/);

  // Prometheus reads the same meter.
  const m = await scrape(ts.server.metricsPort!);
  expect(m.value('amaas_tenant_usage_requests_total', { tenant: 'alpha', model: 'scale', version: '1' })).toBe(8);
  expect(m.value('amaas_tenant_rows_total', { tenant: 'alpha', model: 'scale', version: '1' })).toBe(21);
  expect(m.value('amaas_tenant_refusals_total', { tenant: 'alpha', model: 'scale', version: '1', reason: 'rate_limit' })).toBe(2);
  expect(m.value('amaas_tenant_rows_total', { tenant: 'beta', model: 'mlp', version: '1' })).toBe(8);
  expect(m.value('amaas_tenant_received_bytes_total', { tenant: 'beta', model: 'mlp', version: '1' })).toBe(8 * 64 * FP32 + 3 * FP32);
});

it('shows a tenant without the admin scope only its own usage, and refuses it another tenant', async () => {
  const own = JSON.parse((await usageCli(KEYS.beta, '--json')).stdout) as { tenant: string }[];
  expect(own.map((r) => r.tenant)).toEqual(['beta']);
  const other = await usageCli(KEYS.beta, '--json', '--tenant', 'alpha').then(
    () => null,
    (err: { code: number; stderr: string }) => err,
  );
  expect(other?.code).toBe(grpc.status.PERMISSION_DENIED);
  expect(other?.stderr).toContain("AMAAS_ERR_PERMISSION_DENIED: reading another tenant's usage needs the 'admin' scope");
});
