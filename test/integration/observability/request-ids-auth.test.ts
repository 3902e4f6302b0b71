/**
 * Request ids with auth on (a real server on port 0, API keys, an audit file): a call the security gate
 * refuses still gets its id back, and the audit line of the refusal carries the same id, sent or made; a
 * call a handler refuses (a model the tenant may not use) has that id on both its audit and access lines;
 * the access line names the tenant; and no log or audit line holds a key.
 */
import * as grpc from '@grpc/grpc-js';
import fs from 'node:fs';
import path from 'node:path';
import { amaasV1Service } from '../../../src/api/protos';
import { isValidRequestId } from '../../../src/observability';
import { setLogLevel } from '../../../src/observability/logging';
import { CapturedLogs, captureLogs } from '../../helpers/log-lines';
import { makeRepository } from '../../helpers/model-repository';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { until } from '../../helpers/until';
import { KEYS, bearer, httpRequest, scaleInferJson, scalePredict, securityDir, tenantsYaml } from '../security/security-fixtures';

type RawClient = grpc.Client & Record<string, any>;

const WRONG_KEY = 'wrong_k3y_for_request_id_test';

let ts: TestServer;
let v1: RawClient;
let logs: CapturedLogs;
let auditFile: string;

beforeAll(async () => {
  const dir = securityDir();
  const tenantsFile = path.join(dir, 'tenants.yaml');
  auditFile = path.join(dir, 'audit.jsonl');
  fs.writeFileSync(tenantsFile, tenantsYaml());
  const repo = await makeRepository([{ model: 'scale' }, { model: 'mlp' }]);
  ts = await startTestServer(repo, { auth: { tenants_file: tenantsFile }, audit: { file: auditFile }, access_log: 'all', http_port: 0 });
  setLogLevel('info');
  logs = captureLogs();
  v1 = new (amaasV1Service())(ts.address, grpc.credentials.createInsecure()) as RawClient;
});

afterAll(async () => {
  v1.close();
  await ts.stop();
  logs.restore();
  setLogLevel('error');
});

function predict(request: object, metadata: grpc.Metadata): Promise<{ error: grpc.ServiceError | null; requestId: string | undefined }> {
  return new Promise((resolve) => {
    let initial: grpc.Metadata | undefined;
    const c = v1.Predict(request, metadata, (error: grpc.ServiceError | null) => resolve({ error, requestId: initial?.get('x-request-id')[0] as string | undefined }));
    c.on('metadata', (m: grpc.Metadata) => (initial = m));
  });
}

const withId = (md: grpc.Metadata, id: string) => (md.set('x-request-id', id), md);

const auditLines = (): any[] =>
  fs.existsSync(auditFile)
    ? fs
        .readFileSync(auditFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];

async function auditLine(requestId: string): Promise<any> {
  // The audit file is appended asynchronously: wait (bounded) for the line.
  await until(() => auditLines().some((l) => l.request_id === requestId), `the audit line of ${requestId}`, 10_000);
  return auditLines().find((l) => l.request_id === requestId);
}

async function accessLine(requestId: string): Promise<any> {
  await until(() => logs.lines().some((l) => l.module === 'access' && l.request_id === requestId), `the access line of ${requestId}`, 10_000);
  return logs.lines().find((l) => l.module === 'access' && l.request_id === requestId);
}

it('a call the gate refuses returns its sent id, and its audit line has it', async () => {
  const r = await predict(scalePredict(), withId(bearer(WRONG_KEY), 'denied-by-gate-1'));
  expect(r.error?.code).toBe(grpc.status.UNAUTHENTICATED);
  expect(r.requestId).toBe('denied-by-gate-1');
  expect(await auditLine('denied-by-gate-1')).toMatchObject({ decision: 'deny', tenant: '', method: '/amaas.v1.InferenceService/Predict' });
});

it('a refused call without an id gets a made one, the same as on its audit line', async () => {
  const before = auditLines().length;
  const r = await predict(scalePredict(), bearer(KEYS.alphaExpired));
  expect(r.error?.code).toBe(grpc.status.UNAUTHENTICATED);
  expect(isValidRequestId(r.requestId!)).toBe(true);
  const line = await auditLine(r.requestId!);
  expect(line).toMatchObject({ decision: 'deny', key_id: 'alpha-0' });
  expect(auditLines().length).toBe(before + 1);
});

it('a model the tenant may not use: the same id on the answer, the audit line and the access line (with the tenant)', async () => {
  const r = await predict(scalePredict('mlp'), withId(bearer(KEYS.alpha), 'denied-by-handler-1'));
  expect(r.error?.code).toBe(grpc.status.PERMISSION_DENIED);
  expect(r.requestId).toBe('denied-by-handler-1');
  expect(await auditLine('denied-by-handler-1')).toMatchObject({ decision: 'deny', tenant: 'alpha', key_id: 'alpha-1', model: 'mlp' });
  expect(await accessLine('denied-by-handler-1')).toMatchObject({ tenant: 'alpha', status: 'PERMISSION_DENIED', error_code: 'AMAAS_ERR_PERMISSION_DENIED' });
});

it('an allowed call: its access line names the tenant', async () => {
  const r = await predict(scalePredict(), withId(bearer(KEYS.alpha), 'allowed-1'));
  expect(r.error).toBeNull();
  expect(r.requestId).toBe('allowed-1');
  expect(await accessLine('allowed-1')).toMatchObject({ tenant: 'alpha', model: 'scale', status: 'OK' });
});

it('REST: a refused request returns its id and its audit line has it', async () => {
  const r = await httpRequest(ts.server.httpPort!, 'POST', '/v2/models/scale/infer', { authorization: `Bearer ${WRONG_KEY}`, 'x-request-id': 'http-denied-1' }, scaleInferJson);
  expect(r.status).toBe(401);
  expect(r.headers['x-request-id']).toBe('http-denied-1');
  expect(await auditLine('http-denied-1')).toMatchObject({ decision: 'deny', method: 'HTTP POST /v2/models/scale/infer' });
});

it('no log or audit line holds a key', async () => {
  await auditLine('http-denied-1');
  const everything = fs.readFileSync(auditFile, 'utf8') + logs.text();
  for (const secret of [WRONG_KEY, ...Object.values(KEYS)]) expect(everything).not.toContain(secret);
});
