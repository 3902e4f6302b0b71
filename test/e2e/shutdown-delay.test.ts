/**
 * shutdown_delay_ms, with real server processes: on SIGTERM, health ("" and every service name, the model, REST
 * ready) turns NOT_SERVING at once while calls keep being answered; a second SIGTERM ends the delay, and the
 * server drains and exits 0. SIGINT skips the delay. The delay is ten minutes, so a server that exits within the
 * test's time limit proves that the delay was skipped, and calls made while it is NOT_SERVING are certainly made
 * during the delay.
 */
import { SERVER_HEALTH_NAMES } from '../../src/api/health/health-status';
import { AmaasClient } from '../../src/client/amaas-client';
import { HealthChecker } from '../helpers/health-check';
import { makeRepository } from '../helpers/model-repository';
import { ServerProcess, startServerProcess } from '../helpers/server-process';
import { until } from '../helpers/until';

const DELAY = { AMAAS_SHUTDOWN_DELAY_MS: String(10 * 60_000) };
const x = { x: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } };
const started: ServerProcess[] = [];
let repo: string;

beforeAll(async () => {
  repo = await makeRepository([{ model: 'scale' }]);
});

afterAll(() => {
  for (const s of started) s.child.kill('SIGKILL');
});

async function start(): Promise<ServerProcess> {
  const s = await startServerProcess(['--model-repository', repo, '--http-port', '0'], DELAY);
  started.push(s);
  return s;
}

const httpAddress = (s: ServerProcess) => /amaas http on (\S+)/.exec(s.stdout())![1];

it('SIGTERM: NOT_SERVING at once, calls still answered during the delay; a second SIGTERM drains and exits 0', async () => {
  const server = await start();
  const client = new AmaasClient(server.address);
  const health = new HealthChecker(server.address);
  let exited = false;
  void server.exited.then(() => (exited = true));
  try {
    expect(await health.check('')).toBe('SERVING');
    // Callers that keep calling across the signal: every call must be answered, correctly.
    let running = true;
    const failures: string[] = [];
    let answered = 0;
    const caller = async () => {
      while (running) {
        try {
          const r = await client.predict('scale', x, { timeoutMs: 10_000 });
          if (JSON.stringify(Array.from(r.outputs.y.data as Float32Array)) !== '[3,5,7,9]') failures.push('wrong answer');
          answered++;
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    };
    const callers = Array.from({ length: 4 }, caller);
    await until(() => answered >= 20, 'calls before the signal');

    server.child.kill('SIGTERM');
    await until(async () => (await health.check('')) === 'NOT_SERVING', 'health to say NOT_SERVING');
    for (const name of [...SERVER_HEALTH_NAMES, 'scale']) expect([name, await health.check(name)]).toEqual([name, 'NOT_SERVING']);
    const ready = await fetch(`http://${httpAddress(server)}/v2/health/ready`);
    expect(ready.status).toBe(400);
    expect(await ready.json()).toEqual({ ready: false });
    const answeredAtNotServing = answered;
    await until(() => answered >= answeredAtNotServing + 20, 'calls answered while NOT_SERVING');
    // A fresh connection is still accepted during the delay.
    const late = new AmaasClient(server.address);
    expect((await late.predict('scale', x)).outputs.y.dims).toEqual([1, 4]);
    late.close();
    expect(exited).toBe(false);
    running = false;
    await Promise.all(callers);
    expect(failures).toEqual([]);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const log = server.stderr();
    expect(log).toMatch(/not serving; draining after the shutdown delay/);
    expect(log.indexOf('"msg":"draining"')).toBeGreaterThan(log.indexOf('"msg":"not serving; draining after the shutdown delay"'));
    expect(log).toMatch(/stopped/);
  } finally {
    client.close();
    health.close();
  }
}, 90_000);

it('SIGINT skips the delay: the server drains at once and exits 0', async () => {
  const server = await start();
  const client = new AmaasClient(server.address);
  try {
    expect((await client.predict('scale', x)).outputs.y.dims).toEqual([1, 4]);
  } finally {
    client.close();
  }
  server.child.kill('SIGINT');
  expect(await server.exited).toBe(0);
  expect(server.stderr()).not.toMatch(/not serving; draining after the shutdown delay/);
  expect(server.stderr()).toMatch(/stopped/);
}, 60_000);
