/**
 * mTLS with tls.tenant_from: the tenant comes from the verified client certificate (its SAN URI here), over
 * amaas.v1, the Open Inference Protocol and HTTPS, and model access follows that tenant's patterns. Then the CLI's client options:
 * --tls-ca/--tls-cert/--tls-key and --api-key (or AMAAS_API_KEY) reach the same server.
 */
import * as grpc from '@grpc/grpc-js';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import { AmaasClient } from '../../../src/client/amaas-client';
import { CertPair, TestCertificates, makeTestCertificates } from '../../helpers/certificates';
import { makeRepository } from '../../helpers/model-repository';
import { CLI } from '../../helpers/server-process';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { OipClient } from '../kserve/oip-client';

const run = promisify(execFile);
const OPS_KEY = `amaas_${crypto.randomBytes(24).toString('base64url')}`;
const x = { x: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } };

let certs: TestCertificates;
let repo: string;
let ts: TestServer;
const clients: AmaasClient[] = [];

beforeAll(async () => {
  certs = makeTestCertificates();
  repo = await makeRepository([{ model: 'scale' }, { model: 'multi_io' }]);
  const tenantsFile = path.join(certs.dir, 'tenants.json');
  fs.writeFileSync(
    tenantsFile,
    JSON.stringify({
      tenants: {
        acme: { models: ['scale'], scopes: ['infer', 'metadata'], certificates: ['spiffe://acme/worker'] },
        ops: { keys: [{ id: 'ops-1', sha256: crypto.createHash('sha256').update(OPS_KEY).digest('hex') }], models: ['*'], scopes: ['metadata', 'admin'] },
      },
    }),
  );
  ts = await startTestServer(repo, {
    http_port: 0,
    tls: { cert_file: certs.server.cert, key_file: certs.server.key, client_ca_file: certs.ca.cert, tenant_from: 'san_uri' },
    auth: { tenants_file: tenantsFile },
  } as never);
});

afterAll(async () => {
  for (const c of clients) c.close();
  await ts.stop();
  certs.cleanup();
  fs.rmSync(repo, { recursive: true, force: true });
});

const pem = (file: string) => fs.readFileSync(file);

function clientWith(pair: CertPair, apiKey?: string): AmaasClient {
  const c = new AmaasClient(ts.address, { apiKey, tls: { ca: pem(certs.ca.cert), cert: pem(pair.cert), key: pem(pair.key) } });
  clients.push(c);
  return c;
}

function httpsGet(urlPath: string, pair: CertPair): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: '127.0.0.1', servername: 'localhost', port: ts.server.httpPort!, path: urlPath, agent: false, ca: pem(certs.ca.cert), cert: pem(pair.cert), key: pem(pair.key) },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
  });
}

it('a certificate naming a tenant is that tenant: its models, its scopes', async () => {
  const acme = clientWith(certs.clientUri);
  expect((await acme.predict('scale', x)).modelName).toBe('scale');
  expect((await acme.listModels()).map((m) => m.name)).toEqual(['scale']);
  await expect(acme.predict('multi_io', { a: { data: new Float32Array(3), dims: [1, 3] } })).rejects.toMatchObject({
    errorCode: 'AMAAS_ERR_PERMISSION_DENIED',
  });
  await expect(acme.unloadModel('scale')).rejects.toMatchObject({ errorCode: 'AMAAS_ERR_PERMISSION_DENIED' });
  expect(await httpsGet('/v2/models/scale/ready', certs.clientUri)).toBe(200);
  expect(await httpsGet('/v2/models/multi_io/ready', certs.clientUri)).toBe(403);
});

it('the Open Inference Protocol client over mTLS gets the same tenant', async () => {
  const oip = new OipClient(ts.address, grpc.credentials.createSsl(pem(certs.ca.cert), pem(certs.clientUri.key), pem(certs.clientUri.cert)));
  try {
    expect(await oip.call('ModelReady', { name: 'scale' })).toMatchObject({ ready: true });
    expect((await oip.failure('ModelReady', { name: 'multi_io' })).code).toBe(grpc.status.PERMISSION_DENIED);
  } finally {
    oip.close();
  }
});

it('a verified certificate that names no tenant is unauthenticated', async () => {
  // clientDns has no SAN URI; clientCn's CN is not in the tenants file either way.
  await expect(clientWith(certs.clientDns).predict('scale', x)).rejects.toMatchObject({ code: 16, errorCode: 'AMAAS_ERR_UNAUTHENTICATED' });
  expect(await httpsGet('/v2/models/scale/ready', certs.clientCn)).toBe(401);
});

it('an API key beside the certificate names its own tenant', async () => {
  const ops = clientWith(certs.clientCn, OPS_KEY);
  expect((await ops.listModels()).map((m) => m.name).sort()).toEqual(['multi_io', 'scale']);
});

describe('CLI client options', () => {
  const tlsFlags = (pair: CertPair) => ['--address', ts.address, '--tls-ca', certs.ca.cert, '--tls-cert', pair.cert, '--tls-key', pair.key];

  it('models over mTLS with the tenant from the certificate', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'models', '--json', ...tlsFlags(certs.clientUri)]);
    expect((JSON.parse(stdout) as Array<{ name: string }>).map((m) => m.name)).toEqual(['scale']);
  });

  it('--api-key and AMAAS_API_KEY send the key', async () => {
    const flag = await run(process.execPath, [CLI, 'models', '--json', '--api-key', OPS_KEY, ...tlsFlags(certs.clientCn)]);
    expect((JSON.parse(flag.stdout) as unknown[]).length).toBe(2);
    const env = await run(process.execPath, [CLI, 'models', '--json', ...tlsFlags(certs.clientCn)], { env: { ...process.env, AMAAS_API_KEY: OPS_KEY } });
    expect((JSON.parse(env.stdout) as unknown[]).length).toBe(2);
  });

  it('without credentials the command fails with UNAUTHENTICATED, and never prints a key', async () => {
    const err = await run(process.execPath, [CLI, 'models', '--json', ...tlsFlags(certs.clientCn)], {
      env: { ...process.env, AMAAS_API_KEY: '' },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 16 });
    expect((err as { stderr: string }).stderr).toContain('AMAAS_ERR_UNAUTHENTICATED');
    const wrong = await run(process.execPath, [CLI, 'models', '--json', '--api-key', 'amaas_wrong-key-value', ...tlsFlags(certs.clientCn)]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(wrong).toMatchObject({ code: 16 });
    expect((wrong as { stderr: string }).stderr).not.toContain('wrong-key-value');
  });

  it('--tls-cert without --tls-key is refused before connecting', async () => {
    const err = await run(process.execPath, [CLI, 'models', '--address', ts.address, '--tls-cert', certs.clientUri.cert]).catch((e: { stderr: string }) => e);
    expect((err as { stderr: string }).stderr).toContain('--tls-cert and --tls-key go together');
  });
});
