/**
 * Secure by default: with no auth configured, binding anything but loopback stops startup with a message that
 * names both ways out; allow_unauthenticated (or --allow-unauthenticated) serves and warns at every start. The
 * servers bind 0.0.0.0, but every call goes to 127.0.0.1.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { AmaasClient } from '../../../src/client/amaas-client';
import { resolveServerConfig } from '../../../src/config/schema';
import { setLogLevel } from '../../../src/observability/logging';
import { PACKAGE_ROOT } from '../../../src/paths';
import { isLoopbackHost } from '../../../src/security';
import { startServer } from '../../../src/server';
import { makeRepository } from '../../helpers/model-repository';
import { parseLogLines } from '../../helpers/log-lines';
import { CLI, startServerProcess } from '../../helpers/server-process';
import { KEYS, securityDir, tenantsYaml } from './security-fixtures';

const run = promisify(execFile);
let repo: string;

beforeAll(async () => {
  setLogLevel('error');
  repo = await makeRepository([{ model: 'scale' }]);
});

const x = { x: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } };

it('treats 127.0.0.0/8, ::1 and localhost as loopback, and nothing else', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST']) expect([h, isLoopbackHost(h)]).toEqual([h, true]);
  for (const h of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.com', '::ffff:10.0.0.1']) expect([h, isLoopbackHost(h)]).toEqual([h, false]);
});

it('refuses to start on 0.0.0.0 without auth, naming the two ways out', async () => {
  const start = startServer(resolveServerConfig({ model_repository: repo, host: '0.0.0.0', port: 0 }));
  await expect(start).rejects.toMatchObject({ code: 'AMAAS_ERR_CONFIG_INVALID' });
  const message = ((await start.catch((e) => e)) as Error).message;
  expect(message).toContain('auth.tenants_file');
  expect(message).toContain('--allow-unauthenticated');
  expect(message).toContain('allow_unauthenticated: true');
});

it('starts on 0.0.0.0 with allow_unauthenticated and serves every caller', async () => {
  const server = await startServer(resolveServerConfig({ model_repository: repo, host: '0.0.0.0', port: 0, allow_unauthenticated: true }));
  const client = new AmaasClient(`127.0.0.1:${server.port}`);
  try {
    expect(Array.from((await client.predict('scale', x)).outputs.y.data as Float32Array)).toEqual([3, 5, 7, 9]);
  } finally {
    client.close();
    await server.shutdown();
  }
});

it('starts on 0.0.0.0 with a tenants file (auth configured)', async () => {
  const dir = securityDir();
  const tenantsFile = path.join(dir, 'tenants.yaml');
  fs.writeFileSync(tenantsFile, tenantsYaml());
  const server = await startServer(
    resolveServerConfig({ model_repository: repo, host: '0.0.0.0', port: 0, auth: { tenants_file: tenantsFile }, audit: { file: path.join(dir, 'audit.jsonl') } }),
  );
  const client = new AmaasClient(`127.0.0.1:${server.port}`, { apiKey: KEYS.alpha });
  try {
    await client.predict('scale', x);
  } finally {
    client.close();
    await server.shutdown();
  }
});

it('serves the demo tenants file of docker-compose.yml on 0.0.0.0 with the key its README publishes', async () => {
  const demo = path.join(PACKAGE_ROOT, 'examples', 'demo');
  const key = /^(amaas_[A-Za-z0-9_-]{43})$/m.exec(fs.readFileSync(path.join(demo, 'README.md'), 'utf8'))![1];
  expect(fs.readFileSync(path.join(PACKAGE_ROOT, 'docker-compose.yml'), 'utf8')).toContain(key);
  const server = await startServer(
    resolveServerConfig({ model_repository: repo, host: '0.0.0.0', port: 0, auth: { tenants_file: path.join(demo, 'tenants.yaml') }, audit: { file: path.join(securityDir(), 'audit.jsonl') } }),
  );
  const client = new AmaasClient(`127.0.0.1:${server.port}`, { apiKey: key });
  try {
    await client.predict('scale', x);
  } finally {
    client.close();
    await server.shutdown();
  }
});

it('amaas serve: exits with the message without the flag, serves and warns with --allow-unauthenticated', async () => {
  const refused = await run(process.execPath, [CLI, 'serve', '--model-repository', repo, '--port', '0', '--host', '0.0.0.0']).then(
    () => null,
    (e: { code: number; stderr: string }) => e,
  );
  expect(refused).not.toBeNull();
  expect(refused!.code).not.toBe(0);
  expect(refused!.stderr).toContain('auth.tenants_file');
  expect(refused!.stderr).toContain('--allow-unauthenticated');

  const p = await startServerProcess(['--model-repository', repo, '--host', '0.0.0.0', '--allow-unauthenticated']);
  const port = p.address.slice(p.address.lastIndexOf(':') + 1);
  const client = new AmaasClient(`127.0.0.1:${port}`);
  try {
    await client.predict('scale', x);
    expect(parseLogLines(p.stderr()).some((l) => l.level === 'warn' && /WITHOUT authentication/.test(l.msg))).toBe(true);
  } finally {
    client.close();
    p.child.kill('SIGTERM');
    await p.exited;
  }
});
