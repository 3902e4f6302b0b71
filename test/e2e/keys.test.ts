/**
 * `amaas keys create` as an operator runs it: the real CLI process prints a key and the tenants-file line,
 * the line's sha256 is the key's, and a tenants file holding the line admits the key.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { identityForKey } from '../../src/security/api-keys';
import { loadTenantsFile } from '../../src/security/tenants-file';
import { CLI } from '../helpers/server-process';
import { tempFiles } from '../helpers/temp-files';

const run = promisify(execFile);
const temp = tempFiles('amaas-keys-e2e-');
afterAll(() => temp.cleanup());

const keys = (...args: string[]) => run(process.execPath, [CLI, 'keys', 'create', ...args]);

it('prints a new key once and the line whose sha256 is that key', async () => {
  const { stdout, stderr } = await keys('--tenant', 'acme', '--expires', '2099-06-01T00:00:00Z');
  const lines = stdout.trimEnd().split('\n');
  expect(lines).toHaveLength(2);
  const [key, entry] = lines;
  expect(key).toMatch(/^amaas_[A-Za-z0-9_-]{43}$/);
  const m = /^- \{ id: (acme-\d{8}-[0-9a-f]{6}), sha256: "([0-9a-f]{64})", expires: "2099-06-01T00:00:00Z" \}$/.exec(entry);
  expect(m).not.toBeNull();
  expect(m![2]).toBe(crypto.createHash('sha256').update(key, 'utf8').digest('hex'));
  // Shown once: the key is on stdout and nowhere else.
  expect(stdout.split(key)).toHaveLength(2);
  expect(stderr).not.toContain(key);
  expect(stderr).toContain('tenants.acme.keys');

  const file = temp.file('tenants.yaml', `tenants:\n  acme:\n    keys:\n      ${entry}\n    models: ["*"]\n    scopes: [infer]\n`);
  expect(identityForKey(loadTenantsFile(file), key)).toMatchObject({ tenant: 'acme', keyId: m![1], method: 'api_key' });
});

it('prints a different key every time, without expiry unless asked', async () => {
  const [a, b] = await Promise.all([keys('--tenant', 'ops', '--id', 'ops-1'), keys('--tenant', 'ops', '--id', 'ops-1')]);
  const [keyA, lineA] = a.stdout.trimEnd().split('\n');
  const [keyB] = b.stdout.trimEnd().split('\n');
  expect(keyA).not.toBe(keyB);
  expect(lineA).toMatch(/^- \{ id: ops-1, sha256: "[0-9a-f]{64}" \}$/);
});

it('refuses a missing tenant, a bad name and a past or malformed expiry, printing no key', async () => {
  for (const args of [[], ['--tenant', 'a b'], ['--tenant', 'acme', '--expires', '2001-01-01'], ['--tenant', 'acme', '--expires', 'tomorrow']]) {
    const failed = await keys(...args).then(
      () => null,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(failed).not.toBeNull();
    expect(failed!.code).not.toBe(0);
    expect(failed!.stdout).toBe('');
    expect(failed!.stderr.length).toBeGreaterThan(0);
  }
});
