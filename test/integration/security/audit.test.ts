/**
 * The audit trail of a real server process: a denied call and an admin call each produce one JSON line with
 * the tenant and key id (never the key), the method, model, peer and request id; and no audit line and no log
 * line (stderr, at debug level) contains any secret key the test used, valid, expired or wrong.
 */
import * as grpc from '@grpc/grpc-js';
import fs from 'node:fs';
import path from 'node:path';
import { makeRepository } from '../../helpers/model-repository';
import { ServerProcess, startServerProcess } from '../../helpers/server-process';
import { until } from '../../helpers/until';
import { KEYS, RawStubs, bearer, failure, httpRequest, scaleInferJson, scalePredict, securityDir, tenantsYaml } from './security-fixtures';

let p: ServerProcess;
let raw: RawStubs;
let auditFile: string;
let httpPort: number;
const WRONG_KEY = 'wrong_k3y_that_must_never_be_logged';

beforeAll(async () => {
  const dir = securityDir();
  const tenantsFile = path.join(dir, 'tenants.yaml');
  auditFile = path.join(dir, 'audit.jsonl');
  fs.writeFileSync(tenantsFile, tenantsYaml());
  const config = path.join(dir, 'amaas.yaml');
  fs.writeFileSync(config, `auth:\n  tenants_file: ${tenantsFile}\naudit:\n  file: ${auditFile}\n  inference: true\nhttp_port: 0\n`);
  const repo = await makeRepository([{ model: 'scale' }, { model: 'mlp' }]);
  p = await startServerProcess(['--model-repository', repo, '--config', config], { AMAAS_LOG_LEVEL: 'debug' });
  raw = new RawStubs(p.address);
});

afterAll(async () => {
  raw.close();
  p.child.kill('SIGTERM');
  await p.exited;
});

const lines = (): any[] =>
  fs
    .readFileSync(auditFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

async function lineWhere(match: (l: any) => boolean, what: string): Promise<any> {
  // The file is appended asynchronously: wait (bounded) for the line to land.
  await until(() => fs.existsSync(auditFile) && lines().some(match), what, 10_000);
  return lines().find(match);
}

it('writes one line per denied call, per admin call and (audit.inference) per allowed inference, and never a secret', async () => {
  const withId = (md: grpc.Metadata, id: string) => (md.set('x-request-id', id), md);

  await failure(raw.call(raw.v1, 'Predict', scalePredict(), withId(bearer(WRONG_KEY), 'req-unknown-key')));
  await failure(raw.call(raw.v1, 'Predict', scalePredict(), withId(bearer(KEYS.alphaExpired), 'req-expired')));
  await failure(raw.call(raw.v1, 'Predict', { ...scalePredict('mlp'), id: 'req-other-model' }, bearer(KEYS.alpha)));
  await failure(raw.call(raw.admin, 'UnloadModel', { model_name: 'scale' }, withId(bearer(KEYS.alpha), 'req-no-scope')));
  await raw.call(raw.admin, 'SetDefaultVersion', { model_name: 'scale', model_version: 0 }, withId(bearer(KEYS.ops), 'req-admin'));
  await raw.call(raw.v1, 'Predict', { ...scalePredict(), id: 'req-ok' }, bearer(KEYS.alpha));
  await until(() => /amaas http on \S+:\d+\n/.test(p.stdout()), 'the HTTP port line', 10_000);
  httpPort = Number(/amaas http on \S+:(\d+)/.exec(p.stdout())![1]);
  await httpRequest(httpPort, 'POST', '/v2/models/mlp/infer', { authorization: `Bearer ${KEYS.beta}`, 'x-request-id': 'req-http-ok' }, { inputs: [] });
  await httpRequest(httpPort, 'POST', '/v2/models/scale/infer', { authorization: `Bearer ${WRONG_KEY}`, 'x-request-id': 'req-http-denied' }, scaleInferJson);

  const unknown = await lineWhere((l) => l.request_id === 'req-unknown-key', 'the unknown-key line');
  expect(unknown).toMatchObject({ decision: 'deny', tenant: '', key_id: '', method: '/amaas.v1.InferenceService/Predict', reason: 'invalid credentials' });
  expect(unknown.peer).toMatch(/127\.0\.0\.1/);
  expect(Date.parse(unknown.time)).not.toBeNaN();
  expect(await lineWhere((l) => l.request_id === 'req-expired', 'the expired-key line')).toMatchObject({
    decision: 'deny',
    tenant: 'alpha',
    key_id: 'alpha-0',
    reason: 'expired key',
  });
  expect(await lineWhere((l) => l.request_id === 'req-other-model', 'the model line')).toMatchObject({
    decision: 'deny',
    tenant: 'alpha',
    key_id: 'alpha-1',
    model: 'mlp',
  });
  expect(await lineWhere((l) => l.request_id === 'req-no-scope', 'the scope line')).toMatchObject({
    decision: 'deny',
    tenant: 'alpha',
    key_id: 'alpha-1',
    method: '/amaas.v1.ModelRepositoryService/UnloadModel',
    reason: 'scope admin missing',
  });
  expect(await lineWhere((l) => l.request_id === 'req-admin', 'the admin line')).toMatchObject({
    decision: 'allow',
    tenant: 'ops',
    key_id: 'ops-1',
    method: '/amaas.v1.ModelRepositoryService/SetDefaultVersion',
    model: 'scale',
  });
  expect(await lineWhere((l) => l.request_id === 'req-ok', 'the inference line')).toMatchObject({ decision: 'allow', tenant: 'alpha', model: 'scale' });
  expect(await lineWhere((l) => l.request_id === 'req-http-denied', 'the HTTP denial')).toMatchObject({ decision: 'deny', method: 'HTTP POST /v2/models/scale/infer' });
  expect(await lineWhere((l) => l.request_id === 'req-http-ok', 'the HTTP inference line')).toMatchObject({ tenant: 'beta', key_id: 'beta-1', model: 'mlp' });

  const everything = fs.readFileSync(auditFile, 'utf8') + p.stderr();
  for (const secret of [...Object.values(KEYS), WRONG_KEY]) expect(everything.includes(secret)).toBe(false);
});
