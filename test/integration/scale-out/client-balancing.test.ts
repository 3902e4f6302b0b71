/**
 * The SDK's client-side balancing (src/client/balancing.ts) against three real servers: a list address spreads
 * calls over all three (round_robin, read from each server's own ModelStatistics); with one server stopped,
 * every call still succeeds (the retry policy sends a call that met the stopped one to another). A dns:///
 * address resolves through grpc-js's DNS resolver. Unit checks cover the address forms.
 */
import { AmaasClient } from '../../../src/client/amaas-client';
import { DEFAULT_RETRY_POLICY, channelTarget, isBalancedAddress, isCutAnswer, retriesEnabled, serviceConfig } from '../../../src/client/balancing';
import { makeRepository } from '../../helpers/model-repository';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { OipClient } from '../kserve/oip-client';

const x = { x: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } };
let servers: TestServer[] = [];

beforeAll(async () => {
  const repo = await makeRepository([{ model: 'scale' }]);
  servers = [await startTestServer(repo), await startTestServer(repo), await startTestServer(repo)];
});

afterAll(async () => {
  for (const s of servers) await s.stop();
});

async function successes(address: string): Promise<number> {
  const oip = new OipClient(address);
  try {
    const { model_stats } = await oip.call('ModelStatistics', { name: 'scale', version: '1' });
    return Number(model_stats[0].inference_stats.success.count);
  } finally {
    oip.close();
  }
}

it('turns lists into grpc-js static targets, passes dns:/// and single addresses through, and refuses names in lists', () => {
  expect(channelTarget('127.0.0.1:1,127.0.0.1:2')).toBe('ipv4:127.0.0.1:1,127.0.0.1:2');
  expect(channelTarget('[::1]:1, [::1]:2')).toBe('ipv6:[::1]:1,[::1]:2');
  expect(channelTarget('dns:///amaas-headless.default.svc:50051')).toBe('dns:///amaas-headless.default.svc:50051');
  expect(channelTarget('10.0.0.1:50051')).toBe('10.0.0.1:50051');
  expect(() => channelTarget('a.example:1,b.example:1')).toThrow(/IP literals.*dns:\/\/\//);
  expect(isBalancedAddress('10.0.0.1:50051')).toBe(false);
  expect(isBalancedAddress('dns:///amaas:50051')).toBe(true);
  const config = JSON.parse(serviceConfig(DEFAULT_RETRY_POLICY));
  expect(config.loadBalancingConfig).toEqual([{ round_robin: {} }]);
  expect(config.methodConfig[0].retryPolicy.retryableStatusCodes).toEqual(['UNAVAILABLE', 'RESOURCE_EXHAUSTED']);
  // Retries: on by default for balanced addresses, on request for one address.
  expect([retriesEnabled('10.0.0.1:1', undefined), retriesEnabled('10.0.0.1:1,10.0.0.2:1', undefined), retriesEnabled('10.0.0.1:1', true)]).toEqual([false, true, true]);
  expect(retriesEnabled('dns:///a:1', false)).toBe(false);
  // An answer cut off by a reset is resent; an INTERNAL from the server is not.
  expect(isCutAnswer({ code: 13, details: 'Received RST_STREAM with code 2 (Internal server error)' })).toBe(true);
  expect(isCutAnswer({ code: 13, details: 'onnxruntime failed' })).toBe(false);
});

it('spreads calls over three servers, and keeps succeeding with one stopped', async () => {
  const CALLS = 90;
  const list = servers.map((s) => s.address).join(',');
  const client = new AmaasClient(list);
  try {
    // Wait until round_robin has connected to all three (it skips backends still connecting); bounded by count.
    const before = await Promise.all(servers.map((s) => successes(s.address)));
    for (let i = 0; i < CALLS; i++) {
      const r = await client.predict('scale', x, { timeoutMs: 10_000 });
      expect(Array.from(r.outputs.y.data as Float32Array)).toEqual([3, 5, 7, 9]);
    }
    const served = (await Promise.all(servers.map((s) => successes(s.address)))).map((n, i) => n - before[i]);
    expect(served.reduce((a, b) => a + b, 0)).toBe(CALLS);
    for (const n of served) expect(n).toBeGreaterThan(0);

    const stopped = servers.pop()!;
    await stopped.stop();
    const failures: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 10; i++) {
          try {
            await client.predict('scale', x, { timeoutMs: 10_000 });
          } catch (err) {
            failures.push((err as Error).message);
          }
        }
      }),
    );
    expect(failures).toEqual([]);
  } finally {
    client.close();
  }
}, 60_000);

it('resolves a dns:/// address and answers through it', async () => {
  const port = servers[0].address.split(':')[1];
  const client = new AmaasClient(`dns:///localhost:${port}`);
  try {
    const r = await client.predict('scale', x, { timeoutMs: 10_000 });
    expect(Array.from(r.outputs.y.data as Float32Array)).toEqual([3, 5, 7, 9]);
  } finally {
    client.close();
  }
});
