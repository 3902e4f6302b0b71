/**
 * Scale-out on loopback: three `amaas serve` processes behind nginx with the shipped deploy/nginx/amaas.conf
 * (rendered for test ports, checked by `nginx -t`), and 32 concurrent callers through nginx. While they call:
 *  (a) one replica is SIGKILLed: with the SDK's retry policy no call fails;
 *  (b) it restarts on its port: nginx sends it calls again within 5 s of its READY line (fail_timeout is 2 s);
 *  (c) another gets SIGTERM: it drains and exits 0, and no call fails, with or without client retries (half the
 *      callers use a client without them).
 * Every answer is checked; the spread over the replicas (from each replica's own ModelStatistics) is within
 * ±20 % of even; health through nginx is SERVING. Waits are bounded only to catch hangs: phases end after a
 * number of answers, not after a time. Every process it started is ended in afterAll, also on failure.
 */
import { AmaasClient } from '../../../src/client/amaas-client';
import { HealthChecker } from '../../helpers/health-check';
import { makeRepository } from '../../helpers/model-repository';
import { NginxProcess, freePort, nginxMissing, startNginx } from '../../helpers/nginx';
import { ServerProcess, startServerProcess } from '../../helpers/server-process';
import { until } from '../../helpers/until';
import { OipClient } from '../kserve/oip-client';

const CALLERS = 32;
const HANG_MS = 60_000;
const x = { x: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } };
/** The replicas drain like production ones, with a short delay so the test stays quick. */
const REPLICA_ENV = { AMAAS_SHUTDOWN_DELAY_MS: '1000', AMAAS_LOG_LEVEL: 'info' };

let repo: string;
let ports: number[] = [];
const replicas: Array<ServerProcess | null> = [null, null, null];
const everyProcess: ServerProcess[] = [];
let nginx: NginxProcess | null = null;

async function startReplica(i: number): Promise<ServerProcess> {
  const p = await startServerProcess(['--model-repository', repo, '--port', String(ports[i])], REPLICA_ENV);
  everyProcess.push(p);
  replicas[i] = p;
  return p;
}

async function served(i: number): Promise<number> {
  const oip = new OipClient(`127.0.0.1:${ports[i]}`);
  try {
    const { model_stats } = await oip.call('ModelStatistics', { name: 'scale', version: '1' });
    return Number(model_stats[0].inference_stats.success.count);
  } finally {
    oip.close();
  }
}

beforeAll(async () => {
  const missing = nginxMissing();
  if (missing) throw new Error(missing);
  repo = await makeRepository([{ model: 'scale' }]);
  ports = [await freePort(), await freePort(), await freePort()];
  await Promise.all([0, 1, 2].map(startReplica));
  nginx = await startNginx(ports.map((p) => `127.0.0.1:${p}`));
}, 120_000);

afterAll(async () => {
  for (const p of everyProcess) p.child.kill('SIGKILL');
  await nginx?.stop();
});

type Phase = 'steady' | 'kill' | 'restart' | 'term' | 'after';

it('balances 32 callers over 3 replicas through nginx and loses no call on SIGKILL and restart with retries, and on SIGTERM with or without them', async () => {
  const address = nginx!.address;
  const health = new HealthChecker(address);
  const withRetries = new AmaasClient(address, { retry: true });
  const withoutRetries = new AmaasClient(address, { retry: false });
  let phase: Phase = 'steady';
  let running = true;
  const answered: Record<Phase, number> = { steady: 0, kill: 0, restart: 0, term: 0, after: 0 };
  const failures: Array<{ phase: Phase; retries: boolean; message: string }> = [];
  const wrong: string[] = [];

  const caller = async (n: number) => {
    while (running) {
      // In the SIGTERM phase, half the callers go without client retries: the drain alone must lose nothing.
      const retries = phase !== 'term' || n % 2 === 0;
      const at = phase;
      try {
        const r = await (retries ? withRetries : withoutRetries).predict('scale', x, { timeoutMs: 20_000 });
        const y = Array.from(r.outputs.y.data as Float32Array);
        if (JSON.stringify(y) !== '[3,5,7,9]') wrong.push(JSON.stringify(y));
        answered[at]++;
      } catch (err) {
        failures.push({ phase: at, retries, message: `${(err as { code?: number }).code}: ${(err as Error).message}` });
      }
    }
  };
  const callers = Array.from({ length: CALLERS }, (_, n) => caller(n));
  try {
    expect(await health.check('')).toBe('SERVING');

    // Steady: the spread over the replicas, from their own statistics.
    await until(() => answered.steady >= 200, 'warm-up calls', HANG_MS, 10);
    const before = await Promise.all([0, 1, 2].map(served));
    const counted = answered.steady;
    await until(() => answered.steady >= counted + 900, 'steady calls', HANG_MS, 10);
    const after = await Promise.all([0, 1, 2].map(served));
    const spread = after.map((n, i) => n - before[i]);
    const mean = spread.reduce((a, b) => a + b, 0) / 3;
    process.stdout.write(`scale-out: steady spread ${spread.join(' / ')}\n`);
    for (const n of spread) {
      expect(n).toBeGreaterThanOrEqual(0.8 * mean);
      expect(n).toBeLessThanOrEqual(1.2 * mean);
    }

    // (a) SIGKILL replica 0 under load.
    phase = 'kill';
    replicas[0]!.child.kill('SIGKILL');
    await replicas[0]!.exited;
    await until(() => answered.kill >= 500, 'calls after the SIGKILL', HANG_MS, 10);

    // (b) Restart it on its port: it gets calls through nginx within 5 s of READY.
    phase = 'restart';
    const restarted = await startReplica(0);
    const readyAt = Date.now();
    const base = await served(0);
    let firstServedAt = 0;
    await until(
      async () => {
        if ((await served(0)) > base) firstServedAt = Date.now();
        return firstServedAt > 0;
      },
      'the restarted replica to be sent calls',
      HANG_MS,
      50,
    );
    process.stdout.write(`scale-out: restarted replica served ${firstServedAt - readyAt} ms after READY\n`);
    expect(firstServedAt - readyAt).toBeLessThanOrEqual(5000);
    expect(restarted.child.exitCode).toBeNull();

    // (c) SIGTERM replica 1 under load: it drains, exits 0, and no call fails.
    phase = 'term';
    replicas[1]!.child.kill('SIGTERM');
    const code = await replicas[1]!.exited;
    const closed = replicas[1]!.stderr().split('\n').find((l) => l.includes('grpc port closed'));
    process.stdout.write(`scale-out: SIGTERMed replica: ${closed ?? '(no grpc port closed line)'}\n`);
    expect(code).toBe(0);
    const atExit = answered.term;
    await until(() => answered.term >= atExit + 300, 'calls after the SIGTERMed replica exited', HANG_MS, 10);
    phase = 'after';
    await until(() => answered.after >= 100, 'calls at the end', HANG_MS, 10);

    expect(await health.check('')).toBe('SERVING');
  } finally {
    running = false;
    await Promise.all(callers);
    withRetries.close();
    withoutRetries.close();
    health.close();
  }
  process.stdout.write(`scale-out: answered ${JSON.stringify(answered)}; failures ${JSON.stringify(failures.slice(0, 5))}\n`);
  if (failures.length > 0) process.stdout.write(`scale-out: nginx's log:\n${nginx!.stderr().split('\n').slice(-40).join('\n')}\n`);
  expect(wrong).toEqual([]);
  // SIGKILL: retried calls never fail; calls a killed replica held are retried by the SDK on another replica.
  expect(failures.filter((f) => f.retries)).toEqual([]);
  // Before and after the replica changes, nothing fails, with or without retries.
  expect(failures.filter((f) => f.phase === 'after' || f.phase === 'steady')).toEqual([]);
  // SIGTERM without client retries: the drain alone loses nothing (nginx never resends a gRPC call it has sent).
  const termWithoutRetries = failures.filter((f) => f.phase === 'term' && !f.retries);
  process.stdout.write(`scale-out: calls lost on SIGTERM without client retries: ${termWithoutRetries.length}\n`);
  expect(termWithoutRetries).toEqual([]);
}, 240_000);
