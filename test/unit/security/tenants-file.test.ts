import { AmaasError } from '../../../src/errors';
import { hashKeyHex } from '../../../src/security/api-keys';
import { loadTenantsFile, policyFromObject } from '../../../src/security/tenants-file';
import { tempFiles } from '../../helpers/temp-files';

const temp = tempFiles('amaas-tenants-');
afterAll(() => temp.cleanup());

const HASH_A = hashKeyHex('key-a');
const HASH_B = hashKeyHex('key-b');

function errorOf(fn: () => unknown): AmaasError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AmaasError);
    return err as AmaasError;
  }
  throw new Error('expected an error');
}

describe('loadTenantsFile', () => {
  it('reads the YAML example into a frozen policy', () => {
    const file = temp.file(
      'tenants.yaml',
      `tenants:
  acme:
    keys: [{ id: acme-2026-12, sha256: "${HASH_A}", expires: "2027-06-01T00:00:00Z" }]
    models: ["fraud_*", "ocr_det"]
    scopes: [infer, metadata]
    certificates: ["spiffe://acme/worker"]
  ops:
    keys: [{ id: ops-1, sha256: "${HASH_B.toUpperCase()}" }]
    models: ["*"]
    scopes: [metadata, admin]
`,
    );
    const policy = loadTenantsFile(file);
    expect([...policy.tenants.keys()]).toEqual(['acme', 'ops']);
    const acme = policy.tenants.get('acme')!;
    expect(acme.name).toBe('acme');
    expect(acme.keys).toHaveLength(1);
    expect(acme.keys[0].id).toBe('acme-2026-12');
    expect(acme.keys[0].sha256.toString('hex')).toBe(HASH_A);
    expect(acme.keys[0].expires?.toISOString()).toBe('2027-06-01T00:00:00.000Z');
    expect(acme.models).toEqual(['fraud_*', 'ocr_det']);
    expect([...acme.scopes]).toEqual(['infer', 'metadata']);
    expect(acme.certificates).toEqual(['spiffe://acme/worker']);
    const ops = policy.tenants.get('ops')!;
    expect(ops.keys[0].expires).toBeNull();
    expect(ops.keys[0].sha256.toString('hex')).toBe(HASH_B);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(acme)).toBe(true);
    expect(Object.isFrozen(acme.keys)).toBe(true);
    expect(Object.isFrozen(acme.keys[0])).toBe(true);
    expect(Object.isFrozen(acme.models)).toBe(true);
  });

  it('reads JSON too, and defaults omitted lists to none', () => {
    const file = temp.file('tenants.json', JSON.stringify({ tenants: { solo: { keys: [{ id: 'k1', sha256: HASH_A }] } } }));
    const solo = loadTenantsFile(file).tenants.get('solo')!;
    expect(solo.models).toEqual([]);
    expect(solo.scopes.size).toBe(0);
    expect(solo.certificates).toEqual([]);
  });

  it('accepts several keys per tenant (rotation with overlap)', () => {
    const policy = policyFromObject(
      { tenants: { acme: { keys: [{ id: 'old', sha256: HASH_A, expires: '2030-01-01T00:00:00+02:00' }, { id: 'new', sha256: HASH_B }] } } },
      'test',
    );
    expect(policy.tenants.get('acme')!.keys.map((k) => k.id)).toEqual(['old', 'new']);
    expect(policy.tenants.get('acme')!.keys[0].expires!.toISOString()).toBe('2029-12-31T22:00:00.000Z');
  });

  it('refuses a missing file, naming it, with AMAAS_ERR_CONFIG_INVALID', () => {
    const e = errorOf(() => loadTenantsFile('/nonexistent/tenants.yaml'));
    expect(e.code).toBe('AMAAS_ERR_CONFIG_INVALID');
    expect(e.message).toContain('/nonexistent/tenants.yaml');
    expect(e.message).toContain('ENOENT');
  });

  it('names the key path of each problem', () => {
    const cases: [unknown, string][] = [
      [{}, 'tenants:'],
      [{ tenants: { acme: { keys: [{ id: 'k', sha256: 'abc' }] } } }, 'tenants.acme.keys.0.sha256: must be 64 hex digits'],
      [{ tenants: { acme: { keys: [{ sha256: HASH_A }] } } }, 'tenants.acme.keys.0.id: expected string'],
      [{ tenants: { acme: { keys: [{ id: 'k', sha256: HASH_A, expires: 'next year' }] } } }, 'tenants.acme.keys.0.expires: must be an ISO 8601 date-time'],
      [{ tenants: { acme: { keys: [{ id: 'k', sha256: HASH_A, expires: '2027-06-01T00:00:00' }] } } }, 'tenants.acme.keys.0.expires'],
      [{ tenants: { acme: { scopes: ['infer', 'root'] } } }, 'tenants.acme.scopes.1: must be one of infer, metadata, admin'],
      [{ tenants: { acme: { models: ['fraud_(.*)'] } } }, 'tenants.acme.models.0: must be a model name or a glob'],
      [{ tenants: { acme: { model: ['x'] } } }, 'tenants.acme: unknown key(s) "model"'],
      [{ tenants: { 'bad name': {} } }, 'tenants'],
      [{ tenants: { acme: { keys: 'k' } } }, 'tenants.acme.keys: expected array'],
      [{ tenants: [] }, 'tenants: expected record'],
    ];
    for (const [raw, expected] of cases) {
      const e = errorOf(() => policyFromObject(raw, 'tenants.yaml'));
      expect(e.code).toBe('AMAAS_ERR_CONFIG_INVALID');
      expect(e.message).toContain('tenants file tenants.yaml: ');
      expect(e.message).toContain(expected);
    }
  });

  it('refuses a key id, a key or a certificate name used twice', () => {
    const dupId = errorOf(() => policyFromObject({ tenants: { a: { keys: [{ id: 'k', sha256: HASH_A }] }, b: { keys: [{ id: 'k', sha256: HASH_B }] } } }, 'f'));
    expect(dupId.message).toContain('tenants.b.keys.0.id: key id already used in tenant a');
    const dupKey = errorOf(() => policyFromObject({ tenants: { a: { keys: [{ id: 'k1', sha256: HASH_A }] }, b: { keys: [{ id: 'k2', sha256: HASH_A.toUpperCase() }] } } }, 'f'));
    expect(dupKey.message).toContain('tenants.b.keys.0.sha256: the same key is already listed (tenant a)');
    const dupCert = errorOf(() => policyFromObject({ tenants: { a: { certificates: ['spiffe://x'] }, b: { certificates: ['spiffe://x'] } } }, 'f'));
    expect(dupCert.message).toContain('tenants.b.certificates.0: certificate name already maps to tenant a');
  });

  it('never echoes a value from the file, even a key pasted where its hash belongs', () => {
    const secret = 'amaas_THISISTHESECRETKEYTHATMUSTNOTLEAK0123456789';
    const cases: unknown[] = [
      { tenants: { acme: { keys: [{ id: 'k', sha256: secret }] } } },
      { tenants: { acme: { keys: [{ id: secret, sha256: HASH_A }] } } },
      { tenants: { acme: { keys: [{ id: 'k', sha256: HASH_A, expires: secret }] } } },
      { tenants: { acme: { scopes: [secret] } } },
      { tenants: { acme: { models: [secret + '/'] } } },
      { tenants: { acme: { keys: [{ id: 'k', sha256: HASH_A, key: secret }] } } },
    ];
    for (const raw of cases) expect(errorOf(() => policyFromObject(raw, 'f')).message).not.toContain('THISISTHESECRET');
  });

  it('reports a YAML syntax error by line and column without quoting the line', () => {
    const file = temp.file('broken.yaml', `tenants:\n  acme:\n    keys: [{ id: k, sha256: "amaas_SECRETSECRETSECRET" \n  oops: [\n`);
    const e = errorOf(() => loadTenantsFile(file));
    expect(e.code).toBe('AMAAS_ERR_CONFIG_INVALID');
    expect(e.message).toMatch(/is not valid YAML or JSON at line \d+, column \d+/);
    expect(e.message).not.toContain('SECRET');
    const json = temp.file('broken.json', '{"tenants": {"acme": "amaas_SECRETSECRET"');
    const je = errorOf(() => loadTenantsFile(json));
    expect(je.message).toContain('is not valid YAML or JSON');
    expect(je.message).not.toContain('SECRET');
  });

  it('refuses an empty file (as an editor may leave it mid-save)', () => {
    const e = errorOf(() => loadTenantsFile(temp.file('empty.yaml', '')));
    expect(e.message).toContain('tenants: expected record');
  });
});
