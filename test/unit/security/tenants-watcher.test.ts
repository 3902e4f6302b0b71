/**
 * The tenants watcher against real files: edits in place, broken edits, and an editor's rename-over-the-file
 * are all seen without a restart. Each test waits (bounded) on the watcher's own counters, never a fixed sleep.
 */
import fs from 'node:fs';
import path from 'node:path';
import { identityForKey, hashKeyHex } from '../../../src/security/api-keys';
import { TenantsWatcher } from '../../../src/security/tenants-watcher';
import { TenantPolicy } from '../../../src/security/types';
import { tempFiles } from '../../helpers/temp-files';
import { until } from '../../helpers/until';

const temp = tempFiles('amaas-tenants-watch-');
const watchers: TenantsWatcher[] = [];
afterEach(() => {
  for (const w of watchers.splice(0)) w.close();
});
afterAll(() => temp.cleanup());

const tenantsYaml = (keys: Record<string, string>) =>
  `tenants:\n  acme:\n    keys:\n${Object.entries(keys)
    .map(([id, key]) => `      - { id: ${id}, sha256: "${hashKeyHex(key)}" }`)
    .join('\n')}\n    models: ["*"]\n    scopes: [infer]\n`;

function start(file: string, options: Parameters<typeof TenantsWatcher.start>[1] = {}): TenantsWatcher {
  const w = TenantsWatcher.start(file, options);
  watchers.push(w);
  return w;
}

/** Captures stderr (the server log) while `fn` runs. */
async function capturingStderr<T>(fn: () => Promise<T>): Promise<{ result: T; text: string }> {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    return { result: await fn(), text: chunks.join('') };
  } finally {
    spy.mockRestore();
  }
}

it('loads the file at start and serves its keys', () => {
  const file = temp.file('tenants.yaml', tenantsYaml({ k1: 'amaas_one' }));
  const w = start(file);
  expect(w.reloads).toBe(0);
  expect(identityForKey(w.current(), 'amaas_one')?.keyId).toBe('k1');
});

it('refuses to start on a broken file (no silent empty policy)', () => {
  const file = temp.file('tenants.yaml', 'tenants: {acme: {scopes: [root]}}\n');
  expect(() => TenantsWatcher.start(file)).toThrow(/tenants\.acme\.scopes\.0/);
  expect(() => TenantsWatcher.start(path.join(path.dirname(file), 'missing.yaml'))).toThrow(/cannot read tenants file/);
});

it('swaps in a valid edit: a new key works and a revoked one stops', async () => {
  const file = temp.file('tenants.yaml', tenantsYaml({ old: 'amaas_old' }));
  const seen: TenantPolicy[] = [];
  const w = start(file, { onReload: (p) => seen.push(p) });
  const before = w.current();
  await capturingStderr(async () => {
    fs.writeFileSync(file, tenantsYaml({ new: 'amaas_new' }));
    await until(() => w.reloads > 0, 'the edit to be reloaded', 10_000);
  });
  const after = w.current();
  expect(after).not.toBe(before);
  expect(seen[seen.length - 1]).toBe(after);
  expect(identityForKey(after, 'amaas_new')?.keyId).toBe('new');
  expect(identityForKey(after, 'amaas_old')).toBeNull();
  // The old policy object is untouched: a call that read it before the swap sees it whole.
  expect(identityForKey(before, 'amaas_old')?.keyId).toBe('old');
});

it('keeps the previous policy on a broken edit, logs it without secrets, and takes the next good edit', async () => {
  const file = temp.file('tenants.yaml', tenantsYaml({ k1: 'amaas_one' }));
  const errors: Error[] = [];
  const w = start(file, { onError: (e) => errors.push(e) });
  const before = w.current();
  const secret = 'amaas_PASTEDSECRETTHATMUSTNOTBELOGGED';
  const { text } = await capturingStderr(async () => {
    fs.writeFileSync(file, `tenants:\n  acme:\n    keys: [{ id: k1, sha256: "${secret}" }]\n    scopes: [infer]\n`);
    await until(() => w.failures > 0, 'the broken edit to be refused', 10_000);
  });
  expect(w.current()).toBe(before);
  expect(identityForKey(w.current(), 'amaas_one')?.keyId).toBe('k1');
  expect(errors[0].message).toContain('tenants.acme.keys.0.sha256');
  expect(text).toContain('tenants file not reloaded; the previous one stays in force');
  expect(text).toContain('tenants.acme.keys.0.sha256');
  expect(text).not.toContain('PASTEDSECRET');
  expect(errors.map((e) => e.message).join('\n')).not.toContain('PASTEDSECRET');

  const reloads = w.reloads;
  await capturingStderr(async () => {
    fs.writeFileSync(file, tenantsYaml({ k2: 'amaas_two' }));
    await until(() => w.reloads > reloads, 'the fixed edit to be reloaded', 10_000);
  });
  expect(identityForKey(w.current(), 'amaas_two')?.keyId).toBe('k2');
});

it('picks up a file replaced by rename (how editors and deploy tools save), twice', async () => {
  const file = temp.file('tenants.yaml', tenantsYaml({ k1: 'amaas_one' }));
  const w = start(file);
  for (const [i, key] of ['amaas_two', 'amaas_three'].entries()) {
    const reloads = w.reloads;
    const staged = path.join(path.dirname(file), `.tenants.yaml.tmp${i}`);
    fs.writeFileSync(staged, tenantsYaml({ [`k${i + 2}`]: key }));
    await capturingStderr(async () => {
      fs.renameSync(staged, file);
      await until(() => w.reloads > reloads && identityForKey(w.current(), key) !== null, 'the renamed file to be reloaded', 10_000);
    });
    expect(identityForKey(w.current(), 'amaas_one')).toBeNull();
  }
});

it('sees an edit through polling alone', async () => {
  const file = temp.file('tenants.yaml', tenantsYaml({ k1: 'amaas_one' }));
  const w = start(file, { pollIntervalMs: 100 });
  // Take the folder watcher away: only the stat poll is left. The edit comes at once after start, which
  // fs.watchFile missed when its first (asynchronous) stat already saw the edited file.
  (w as unknown as { dirWatcher: fs.FSWatcher | null }).dirWatcher?.close();
  await capturingStderr(async () => {
    // A different size, so the poll sees the change even where mtime has coarse resolution.
    fs.writeFileSync(file, tenantsYaml({ k2: 'amaas_two', k3: 'amaas_three' }));
    await until(() => w.reloads > 0, 'the poll to see the edit', 10_000);
  });
  expect(identityForKey(w.current(), 'amaas_three')?.keyId).toBe('k3');
});

it('stops reloading once closed', () => {
  const file = temp.file('tenants.yaml', tenantsYaml({ k1: 'amaas_one' }));
  const w = start(file);
  w.close();
  w.close();
  fs.writeFileSync(file, tenantsYaml({ k2: 'amaas_two' }));
  expect(w.reload()).toBe(false);
  expect(identityForKey(w.current(), 'amaas_one')?.keyId).toBe('k1');
});

it('accepts an onError callback as its second argument', () => {
  const file = temp.file('tenants.yaml', tenantsYaml({ k1: 'amaas_one' }));
  const errors: Error[] = [];
  const w = start(file, (e) => errors.push(e));
  fs.writeFileSync(file, 'tenants: [');
  return capturingStderr(async () => {
    expect(w.reload()).toBe(false);
  }).then(() => expect(errors).toHaveLength(1));
});
