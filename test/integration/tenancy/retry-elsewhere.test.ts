/**
 * What a refusal for load is for: a grpc-js client with a retry policy (the SDK's: round_robin over a list of
 * addresses, retrying RESOURCE_EXHAUSTED and UNAVAILABLE, honouring grpc-retry-pushback-ms) against two real
 * servers, one saturated (its one worker held, its queue of one full), gets every call answered by the other.
 * The saturated server's own usage shows it refused calls of this client, so the retries really happened.
 */
import * as grpc from '@grpc/grpc-js';
import { AmaasClient } from '../../../src/client/amaas-client';
import { makeRepository } from '../../helpers/model-repository';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { until } from '../../helpers/until';
import { WorkerHold } from '../../helpers/worker-hold';
import { refusal, scaleInputs } from './tenant-fixtures';

const hold = new WorkerHold();
let saturated: TestServer;
let free: TestServer;
let pending: Promise<unknown>[] = [];

beforeAll(async () => {
  const repo = await makeRepository([{ model: 'scale', config: { instances: 1, max_queue_size: 1 } }]);
  // Only the first server's worker reads the hold (worker threads copy the environment when they start).
  hold.install();
  saturated = await startTestServer(repo);
  delete process.env.AMAAS_TEST_HOLD_DIR;
  free = await startTestServer(repo);
});

afterAll(async () => {
  hold.release();
  await Promise.allSettled(pending);
  await saturated?.stop();
  await free?.stop();
  hold.cleanup();
});

it('a client with a retry policy gets every call answered by the server that is not saturated', async () => {
  hold.hold();
  // One call runs (held) and one waits: the saturated server's queue of one is full. The second is sent once the
  // first is held: two calls arriving in one event-loop turn would merge into one batch.
  pending = [saturated.client.predict('scale', scaleInputs(1))];
  await hold.waitHeld(1);
  pending.push(saturated.client.predict('scale', scaleInputs(1)));
  const scheduler = saturated.server.registry.get('scale')!.versions.get(1)!.ready!.scheduler;
  await until(() => scheduler.queued === 1, 'the second call queued');
  const direct = await refusal(saturated.client.predict('scale', scaleInputs(1)));
  expect(direct).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, errorCode: 'AMAAS_ERR_QUEUE_FULL', pushback: expect.stringMatching(/^[1-9]\d*$/) });

  const client = new AmaasClient(`${saturated.address},${free.address}`);
  try {
    for (let i = 0; i < 20; i++) {
      const r = await client.predict('scale', scaleInputs(2), { timeoutMs: 20_000 });
      expect(Array.from(r.outputs.y.data as Float32Array)).toEqual([1, 3, 5, 7, 9, 11, 13, 15]);
    }
  } finally {
    client.close();
  }
  const served = await free.client.getUsage();
  expect(served).toEqual([expect.objectContaining({ tenant: 'default', model: 'scale', succeeded: 20, rows: 40 })]);
  const refused = await saturated.client.getUsage();
  // The direct probe, plus every attempt round_robin sent here first.
  expect(refused[0].refused.queue_full).toBeGreaterThan(1);
  expect(refused[0].succeeded).toBe(0);
});
