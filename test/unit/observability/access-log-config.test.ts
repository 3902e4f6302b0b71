/** access_log in the server config: its default, the values it takes, and AMAAS_ACCESS_LOG. */
import { loadServerConfig } from '../../../src/config/load';
import { resolveServerConfig } from '../../../src/config/schema';
import { AccessLog } from '../../../src/observability';

it('defaults to errors', () => {
  expect(resolveServerConfig({ model_repository: '/m' }).accessLog).toBe('errors');
});

it('takes off, errors and all, from the file or AMAAS_ACCESS_LOG, and refuses anything else naming the key', () => {
  for (const mode of ['off', 'errors', 'all'] as const) {
    expect(resolveServerConfig({ model_repository: '/m', access_log: mode }).accessLog).toBe(mode);
    expect(loadServerConfig({ env: { AMAAS_ACCESS_LOG: mode }, flags: { model_repository: '/m' } }).accessLog).toBe(mode);
  }
  expect(() => loadServerConfig({ env: { AMAAS_ACCESS_LOG: 'some' }, flags: { model_repository: '/m' } })).toThrow(/access_log/);
});

it('wants a line for failures unless off, and for successes only with all', () => {
  const wants = (mode: 'off' | 'errors' | 'all') => {
    const log = new AccessLog(mode);
    return [log.wants(true), log.wants(false)];
  };
  expect(wants('off')).toEqual([false, false]);
  expect(wants('errors')).toEqual([true, false]);
  expect(wants('all')).toEqual([true, true]);
});

it('writes a line with every field', () => {
  const lines: Array<[string, Record<string, unknown> | undefined]> = [];
  const logger = { error: () => {}, warn: () => {}, debug: () => {}, info: (m: string, f?: Record<string, unknown>) => void lines.push([m, f]) };
  const log = new AccessLog('all', logger);
  log.write({ protocol: 'kserve', method: 'ModelInfer' }, log.start(), { requestId: 'r1', model: 'scale', version: '2', status: 'NOT_FOUND', errorCode: 'AMAAS_ERR_VERSION_NOT_FOUND', tenant: 'acme' });
  log.write({ protocol: 'amaas', method: 'Predict' }, log.start(), { requestId: 'r2', model: 'x'.repeat(300), version: 0, status: 'OK', errorCode: '' });
  expect(lines[0]).toEqual([
    'access',
    { request_id: 'r1', protocol: 'kserve', method: 'ModelInfer', model: 'scale', version: '2', status: 'NOT_FOUND', error_code: 'AMAAS_ERR_VERSION_NOT_FOUND', duration_ms: expect.any(Number), tenant: 'acme' },
  ]);
  expect(lines[0][1]!.duration_ms).toBeGreaterThanOrEqual(0);
  // Version 0 (the default) is shown empty, a long client-given name cut, and no tenant key without auth.
  expect(lines[1][1]).toMatchObject({ version: '', status: 'OK', error_code: '' });
  expect(String(lines[1][1]!.model).length).toBeLessThan(200);
  expect(lines[1][1]).not.toHaveProperty('tenant');
});
