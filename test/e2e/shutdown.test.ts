/**
 * SIGTERM under load: the server stops accepting calls, finishes every call it had accepted, stops its
 * pools and exits 0. Callers see only successes (correct outputs) or UNAVAILABLE for calls it never took.
 */
import * as grpc from '@grpc/grpc-js';
import { AmaasClient, BatchItem } from '../../src/client/amaas-client';
import { makeRepository, modelPath, writeModelConfig } from '../helpers/model-repository';
import { runDirect, releaseDirectSessions, values } from '../helpers/ort-direct';
import { ServerProcess, startServerProcess } from '../helpers/server-process';

let server: ServerProcess;
let repo: string;

beforeAll(async () => {
  repo = await makeRepository([{ model: 'slow_mlp' }]);
  writeModelConfig(repo, 'slow_mlp', { instances: 2, intra_op_threads: 1 });
  server = await startServerProcess(['--model-repository', repo]);
});

afterAll(async () => {
  server.child.kill('SIGKILL');
  await releaseDirectSessions();
});

const ROWS = 64;
const x = Float32Array.from({ length: ROWS * 512 }, (_, i) => ((i % 13) - 6) / 6);

it('drains in-flight calls on SIGTERM, loses none, and exits 0', async () => {
  const expected = await runDirect(modelPath(repo, 'slow_mlp'), { x: { type: 'float32', dims: [ROWS, 512], data: x } });
  const client = new AmaasClient(server.address);
  let signalledAt = 0;
  const outcomes: Array<{ ok: boolean; code?: number; endedAt: number; startedAt: number; correct?: boolean }> = [];

  const loop = async () => {
    for (let i = 0; i < 1000; i++) {
      const startedAt = Date.now();
      try {
        const r = await client.predict('slow_mlp', { x: { data: x, dims: [ROWS, 512] } }, { timeoutMs: 30_000 });
        const correct = JSON.stringify(values(r.outputs.y.data)) === JSON.stringify(expected.y.values);
        outcomes.push({ ok: true, startedAt, endedAt: Date.now(), correct });
      } catch (err) {
        outcomes.push({ ok: false, code: (err as grpc.ServiceError).code, startedAt, endedAt: Date.now() });
        return; // the server is going away: stop this caller
      }
    }
  };

  // A batch job on a stream at the same time: it must end with UNAVAILABLE after its read items are answered.
  async function* endless(): AsyncGenerator<BatchItem> {
    for (let i = 0; i < 100_000 && !signalledAt; i++) {
      yield { id: `s${i}`, model: 'slow_mlp', inputs: { x: { data: x.slice(0, 512), dims: [1, 512] } } };
    }
    // Keep the stream open (without new items) until the server ends it.
    await new Promise((r) => setTimeout(r, 20_000));
  }
  const streamed: { answered: number; failedItems: number; endCode?: number } = { answered: 0, failedItems: 0 };
  const stream = (async () => {
    try {
      for await (const r of client.batchPredict(endless())) {
        if (r.ok) streamed.answered++;
        else streamed.failedItems++;
      }
    } catch (err) {
      streamed.endCode = (err as grpc.ServiceError).code;
    }
  })();

  const loops = Array.from({ length: 12 }, loop);
  // Let load build up, then signal while calls are in flight.
  while (outcomes.filter((o) => o.ok).length < 24) await new Promise((r) => setTimeout(r, 20));
  signalledAt = Date.now();
  server.child.kill('SIGTERM');
  await Promise.all(loops);
  await stream;
  const code = await server.exited;
  client.close();

  expect(code).toBe(0);
  const failures = outcomes.filter((o) => !o.ok);
  // Nothing the server accepted failed: the only failures are refusals of new calls.
  expect(failures.every((o) => o.code === grpc.status.UNAVAILABLE)).toBe(true);
  expect(outcomes.filter((o) => o.ok).every((o) => o.correct)).toBe(true);
  // Calls in flight at the signal were finished, not cut off.
  expect(outcomes.filter((o) => o.ok && o.startedAt < signalledAt && o.endedAt > signalledAt).length).toBeGreaterThan(0);
  expect(streamed.failedItems).toBe(0);
  expect(streamed.answered).toBeGreaterThan(0);
  expect(streamed.endCode).toBe(grpc.status.UNAVAILABLE);
  expect(server.stderr()).toMatch(/draining/);
  expect(server.stderr()).toMatch(/stopped/);
}, 90_000);
