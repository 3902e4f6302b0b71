import fs from 'node:fs';
import path from 'node:path';
import { AmaasError } from '../../../src/errors';
import { AuditEntry, AuditLog, auditLine } from '../../../src/security/audit-log';
import { tempFiles } from '../../helpers/temp-files';

const temp = tempFiles('amaas-audit-');
afterAll(() => temp.cleanup());

const DENY: AuditEntry = {
  tenant: 'acme',
  keyId: 'acme-1',
  peer: 'ipv4:10.0.0.7:51234',
  method: '/amaas.v1.ModelService/Predict',
  model: 'fraud_v2',
  version: 3,
  decision: 'deny',
  reason: 'model not allowed',
  requestId: 'req-1',
};

describe('auditLine', () => {
  it('is one JSON line with every field, in snake_case', () => {
    const line = auditLine(DENY, new Date('2026-05-01T12:00:00Z'));
    expect(line.endsWith('\n')).toBe(true);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(JSON.parse(line)).toEqual({
      time: '2026-05-01T12:00:00.000Z',
      tenant: 'acme',
      key_id: 'acme-1',
      peer: 'ipv4:10.0.0.7:51234',
      method: '/amaas.v1.ModelService/Predict',
      model: 'fraud_v2',
      version: '3',
      decision: 'deny',
      reason: 'model not allowed',
      request_id: 'req-1',
    });
  });

  it('writes null for what a call did not name', () => {
    const line = JSON.parse(auditLine({ tenant: '', keyId: '', peer: 'ipv6:[::1]:5000', method: 'GET /v2/models', decision: 'deny', reason: 'no credentials' }));
    expect(line.model).toBeNull();
    expect(line.version).toBeNull();
    expect(line.request_id).toBeNull();
    expect(line.tenant).toBe('');
  });

  it('cannot be split or forged by a client-given name, and cuts long names', () => {
    const evil = 'x"}\n{"decision":"allow","tenant":"ops';
    const line = auditLine({ ...DENY, model: evil, method: `/a/${'m'.repeat(10_000)}` });
    expect(line.split('\n')).toHaveLength(2);
    const parsed = JSON.parse(line);
    expect(parsed.model).toBe(evil);
    expect(parsed.decision).toBe('deny');
    expect(parsed.method.length).toBeLessThan(300);
    expect(parsed.method).toContain('cut at 128');
  });
});

describe('AuditLog', () => {
  it('appends one line per record to audit.file, keeping what was there', async () => {
    const file = temp.file('audit.jsonl', '{"earlier":"line"}\n');
    const log = AuditLog.open({ file, inference: true });
    expect(log.inference).toBe(true);
    log.record(DENY);
    log.record({ ...DENY, decision: 'allow', reason: 'allowed', method: '/amaas.v1.ModelRepositoryService/UnloadModel' });
    await log.close();
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0])).toEqual({ earlier: 'line' });
    expect(JSON.parse(lines[1]).decision).toBe('deny');
    expect(JSON.parse(lines[2]).decision).toBe('allow');
    // Records after close are dropped, not thrown.
    log.record(DENY);
    await log.close();
    expect(fs.readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(3);
  });

  it('writes to stdout when no file is configured', async () => {
    const chunks: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
      chunks.push(String(c));
      return true;
    });
    try {
      const log = AuditLog.open({});
      expect(log.inference).toBe(false);
      log.record(DENY);
      await log.close();
    } finally {
      spy.mockRestore();
    }
    expect(chunks).toHaveLength(1);
    expect(JSON.parse(chunks[0]).key_id).toBe('acme-1');
  });

  it('refuses a file it cannot open at startup, with AMAAS_ERR_CONFIG_INVALID', () => {
    const dir = path.dirname(temp.file('x', ''));
    let err: unknown;
    try {
      AuditLog.open({ file: path.join(dir, 'no', 'such', 'dir', 'audit.jsonl') });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AmaasError);
    expect((err as AmaasError).code).toBe('AMAAS_ERR_CONFIG_INVALID');
    expect((err as AmaasError).message).toContain('ENOENT');
  });

  it('has no field an entry could carry a key in', () => {
    const line = JSON.parse(auditLine({ ...DENY, authorization: 'Bearer amaas_secret', key: 'amaas_secret' } as AuditEntry));
    expect(JSON.stringify(line)).not.toContain('amaas_secret');
    expect(Object.keys(line).sort()).toEqual(['decision', 'key_id', 'method', 'model', 'peer', 'reason', 'request_id', 'tenant', 'time', 'version']);
  });
});
