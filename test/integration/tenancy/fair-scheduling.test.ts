/**
 * Fair scheduling end to end (issue 11, item 2): a real server with a tenants file, real SDK clients per tenant.
 * The model's one worker is held (test/helpers/worker-hold.ts) while tenant `flood` queues a backlog and the
 * others queue after it, so the queue is the same on any machine; then the hold is released and the order the
 * answers come back in shows the order the version served them. Answers of different tenants travel on different
 * connections, so positions are compared with a margin of a few places; the orders told apart differ by far more.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AmaasClient } from '../../../src/client/amaas-client';
import type { Scheduler } from '../../../src/scheduling/scheduler';
import { makeRepository } from '../../helpers/model-repository';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { until } from '../../helpers/until';
import { WorkerHold } from '../../helpers/worker-hold';
import { securityDir } from '../security/security-fixtures';

const key = (name: string) => `${name}_k3y_${crypto.randomBytes(16).toString('base64url')}`;
const KEYS = { flood: key('flood'), quiet: key('quiet'), urgent: key('urgent') };
const sha256 = (k: string) => crypto.createHash('sha256').update(k, 'utf8').digest('hex');

const TENANTS = `tenants:
  flood:
    keys: [{ id: flood-1, sha256: "${sha256(KEYS.flood)}" }]
    models: ["*"]
    scopes: [infer]
  quiet:
    keys: [{ id: quiet-1, sha256: "${sha256(KEYS.quiet)}" }]
    models: ["*"]
    scopes: [infer]
  urgent:
    keys: [{ id: urgent-1, sha256: "${sha256(KEYS.urgent)}" }]
    models: ["*"]
    scopes: [infer]
    priority: high
`;

/** Requests of `flood` behind the held one; a second one waits inside the pool (one running, one ready). */
const BACKLOG = 12;

const hold = new WorkerHold();
let ts: TestServer;
const clients: Record<keyof typeof KEYS, AmaasClient> = {} as never;

beforeAll(async () => {
  hold.install();
  const dir = securityDir();
  fs.writeFileSync(path.join(dir, 'tenants.yaml'), TENANTS);
  // Unbatched, one worker: one request per run, so the order of answers is the order of service.
  const config = { instances: 1, max_batch_size: 0 };
  const repo = await makeRepository([
    { model: 'scale', name: 'fair', config },
    { model: 'scale', name: 'fifo', config: { ...config, fair_scheduling: false } },
    { model: 'scale', name: 'prio', config },
  ]);
  ts = await startTestServer(repo, { auth: { tenants_file: path.join(dir, 'tenants.yaml') } });
  for (const name of Object.keys(KEYS) as (keyof typeof KEYS)[]) clients[name] = new AmaasClient(ts.address, { apiKey: KEYS[name] });
});

afterAll(async () => {
  hold.release();
  for (const c of Object.values(clients)) c.close();
  await ts?.stop();
  hold.cleanup();
});

const inputs = { x: { data: Float32Array.of(1, 2, 3, 4), dims: [1, 4] } };
const schedulerOf = (model: string): Scheduler => ts.server.registry.get(model)!.versions.get(1)!.ready!.scheduler;

/**
 * Queues BACKLOG + 1 requests of `flood`, then `others` (tenant names, in order) behind them, all while the
 * worker is held; releases it and returns the tenants in the order their answers came.
 */
async function served(model: string, others: readonly (keyof typeof KEYS)[]): Promise<string[]> {
  const order: string[] = [];
  const calls: Promise<void>[] = [];
  const call = (tenant: keyof typeof KEYS) => calls.push(clients[tenant].predict(model, inputs).then(() => void order.push(tenant)));
  hold.hold();
  call('flood');
  await hold.waitHeld(1);
  for (let i = 0; i < BACKLOG; i++) call('flood');
  const scheduler = schedulerOf(model);
  // One request runs, one waits ready in the pool, the rest in the scheduler's queue.
  await until(() => scheduler.queued === BACKLOG - 1, 'the backlog queued');
  for (const tenant of others) call(tenant);
  await until(() => scheduler.queued === BACKLOG - 1 + others.length, 'the other tenants queued');
  hold.release();
  await Promise.all(calls);
  return order;
}

const positions = (order: readonly string[], tenant: string) => order.flatMap((t, i) => (t === tenant ? [i + 1] : []));

it('serves a quiet tenant in turn with a backlogged one, not behind its whole backlog', async () => {
  const order = await served('fair', ['quiet', 'quiet']);
  expect(order).toHaveLength(BACKLOG + 3);
  // Round robin after the two already in the pool: flood, quiet, flood, quiet: places 4 and 6.
  for (const p of positions(order, 'quiet')) expect(p).toBeLessThanOrEqual(8);
});

it('with fair_scheduling: false serves first come first served: the quiet tenant waits behind the backlog', async () => {
  const order = await served('fifo', ['quiet', 'quiet']);
  expect(order).toHaveLength(BACKLOG + 3);
  // Last two places, 14 and 15.
  for (const p of positions(order, 'quiet')) expect(p).toBeGreaterThanOrEqual(11);
});

it("serves a high-priority tenant's request next, ahead of the backlog", async () => {
  const order = await served('prio', ['urgent']);
  // Right after the two already in the pool: place 3.
  expect(positions(order, 'urgent')[0]).toBeLessThanOrEqual(5);
});
