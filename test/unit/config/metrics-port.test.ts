/** metrics_port: off by default, from the file, AMAAS_METRICS_PORT or the flag; bounded like the other ports. */
import { loadServerConfig } from '../../../src/config/load';
import { resolveServerConfig } from '../../../src/config/schema';

const base = { model_repository: '/models' };

it('is off unless set, and 0 asks for a free port', () => {
  expect(resolveServerConfig(base).metricsPort).toBeNull();
  expect(resolveServerConfig({ ...base, metrics_port: 8002 }).metricsPort).toBe(8002);
  expect(resolveServerConfig({ ...base, metrics_port: 0 }).metricsPort).toBe(0);
});

it('comes from AMAAS_METRICS_PORT, and a flag wins over it', () => {
  expect(loadServerConfig({ env: { AMAAS_MODEL_REPOSITORY: '/models', AMAAS_METRICS_PORT: '9102' } }).metricsPort).toBe(9102);
  expect(loadServerConfig({ env: { AMAAS_MODEL_REPOSITORY: '/models', AMAAS_METRICS_PORT: '9102' }, flags: { metrics_port: 8002 } }).metricsPort).toBe(8002);
});

it('refuses a port that is not one', () => {
  expect(() => loadServerConfig({ env: { AMAAS_MODEL_REPOSITORY: '/models', AMAAS_METRICS_PORT: 'many' } })).toThrow(/AMAAS_METRICS_PORT.*non-negative integer/);
  expect(() => loadServerConfig({ flags: { ...base, metrics_port: 70000 } })).toThrow(/metrics_port/);
});
