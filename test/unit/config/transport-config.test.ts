/** The HTTP/2 window and V8 heap settings: defaults, byte-size strings, bounds, and the environment. */
import { configFromEnv } from '../../../src/config/load';
import { resolveServerConfig } from '../../../src/config/schema';

const base = { model_repository: '/models' };

it('defaults to a 16 MiB connection window, a 1 MiB stream window and 200 % heap growth', () => {
  const c = resolveServerConfig(base);
  expect(c.flowControlWindowBytes).toBe(16 * 2 ** 20);
  expect(c.streamFlowControlWindowBytes).toBe(2 ** 20);
  expect(c.gcHeapGrowingPercent).toBe(200);
});

it('takes sizes as numbers or IEC strings', () => {
  const c = resolveServerConfig({ ...base, flow_control_window_bytes: '64MiB', stream_flow_control_window_bytes: 131_072, gc_heap_growing_percent: 0 });
  expect(c.flowControlWindowBytes).toBe(64 * 2 ** 20);
  expect(c.streamFlowControlWindowBytes).toBe(131_072);
  expect(c.gcHeapGrowingPercent).toBe(0);
});

it('refuses windows below HTTP/2 initial 65,535 bytes or above its 2^31-1 limit, naming the key', () => {
  expect(() => resolveServerConfig({ ...base, flow_control_window_bytes: 1024 })).toThrow(/flow_control_window_bytes/);
  expect(() => resolveServerConfig({ ...base, stream_flow_control_window_bytes: '2GiB' })).toThrow(/stream_flow_control_window_bytes/);
  expect(() => resolveServerConfig({ ...base, gc_heap_growing_percent: -5 })).toThrow(/gc_heap_growing_percent/);
});

it('reads them from AMAAS_* variables', () => {
  const env = configFromEnv({ AMAAS_FLOW_CONTROL_WINDOW_BYTES: '8MiB', AMAAS_GC_HEAP_GROWING_PERCENT: '150' });
  const c = resolveServerConfig({ ...base, ...env });
  expect(c.flowControlWindowBytes).toBe(8 * 2 ** 20);
  expect(c.gcHeapGrowingPercent).toBe(150);
});
