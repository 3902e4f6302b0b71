import { describeZodError } from '../../../src/config/load';
import { resolveModelConfig, resolveServerConfig } from '../../../src/config/schema';

function problem(resolve: () => unknown): string {
  try {
    resolve();
  } catch (err) {
    return describeZodError(err);
  }
  throw new Error('the config was accepted');
}

describe('fair scheduling settings (per model)', () => {
  it('are on, with 1 s aging, by default', () => {
    expect(resolveModelConfig({}, 2).scheduling).toEqual({ fairScheduling: true, priorityAgingMs: 1000 });
  });

  it('can be turned off and tuned', () => {
    expect(resolveModelConfig({ fair_scheduling: false, priority_aging_ms: 250 }, 2).scheduling).toEqual({ fairScheduling: false, priorityAgingMs: 250 });
  });

  it('refuse a bad value, naming the key', () => {
    expect(problem(() => resolveModelConfig({ priority_aging_ms: 0 }, 2))).toMatch(/priority_aging_ms/);
    expect(problem(() => resolveModelConfig({ fair_scheduling: 'yes' }, 2))).toMatch(/fair_scheduling/);
  });
});

describe('stream_item_timeout_ms (server)', () => {
  it('is off by default', () => {
    expect(resolveServerConfig({ model_repository: '/m' }).streamItemTimeoutMs).toBeNull();
  });

  it('takes whole milliseconds above 0', () => {
    expect(resolveServerConfig({ model_repository: '/m', stream_item_timeout_ms: 500 }).streamItemTimeoutMs).toBe(500);
    expect(problem(() => resolveServerConfig({ model_repository: '/m', stream_item_timeout_ms: 0 }))).toMatch(/stream_item_timeout_ms/);
  });
});
