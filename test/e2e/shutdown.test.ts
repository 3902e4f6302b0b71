/**
 * SIGTERM under load: the server stops accepting calls, finishes every call it had accepted, stops its
 * pools and exits 0. Callers see only successes (correct outputs) or UNAVAILABLE for calls it never took.
 * The workers are held by the test hook (test/helpers/worker-hold.ts) from before the signal until the server
 * is draining, so calls are certainly in flight at the signal, whatever this machine's speed.
 */
import * as grpc from '@grpc/grpc-js';
import { AmaasClient, BatchItem } from '../../src/client/amaas-client';
import { makeRepository, modelPath, writeModelConfig } from '../helpers/model-repository';
import { runDirect, releaseDirectSessions, values } from '../helpers/ort-direct';
import { ServerProcess, startServerProcess } from '../helpers/server-process';
import { WorkerHold } from '../helpers/worker-hold';
import { until } from '../helpers/until';

let server: ServerProcess;
let repo: string;
const hold = new WorkerHold();

beforeAll(async () => {
  repo = await makeRepository([{ model: 'slow_mlp' }]);
  writeModelConfig(repo, 'slow_mlp', { instances: 2, intra_op_threads: 1 });
  server = await startServerProcess(['--model-repository', repo], hold.env);
});

afterAll(async () => {
  hold.release();
  server.child.kill('SIGKILL');
  await releaseDirectSessions();
  hold.cleanup();
});

const ROWS = 64;
/** Stream items may be merged into a batch, where a row may round differently (MLAS picks kernels by size). */
const close = (got: number[], want: number[]) =>
  got.length === want.length && got.every((v, i) => Math.abs(v - want[i]) <= 1e-4 * Math.max(1, Math.abs(want[i])));
const x = Float32Array.from({ length: ROWS * 512 }, (_, i) => ((i % 13) - 6) / 6);

it('drains in-flight calls on SIGTERM, loses none, and exits 0', async () => {
  const expected = await runDirect(modelPath(repo, 'slow_mlp'), { x: { type: 'float32', dims: [ROWS, 512], data: x } });
  const expectedRow = await runDirect(modelPath(repo, 'slow_mlp'), { x: { type: 'float32', dims: [1, 512], data: x.slice(0, 512) } });
  const client = new AmaasClient(server.address);
  let signalled = false;
  const outcomes: Array<{ ok: boolean; code?: number; correct?: boolean }> = [];

  const loop = async () => {
    for (let i = 0; i < 1000; i++) {
      try {
        const r = await client.predict('slow_mlp', { x: { data: x, dims: [ROWS, 512] } }, { timeoutMs: 60_000 });
        outcomes.push({ ok: true, correct: JSON.stringify(values(r.outputs.y.data)) === JSON.stringify(expected.y.values) });
      } catch (err) {
        outcomes.push({ ok: false, code: (err as grpc.ServiceError).code });
        return; // the server is going away: stop this caller
      }
    }
  };

  // A batch job on a stream: it must end with UNAVAILABLE after its read items are answered.
  async function* endless(): AsyncGenerator<BatchItem> {
    for (let i = 0; i < 100_000 && !signalled; i++) {
      yield { id: `s${i}`, model: 'slow_mlp', inputs: { x: { data: x.slice(0, 512), dims: [1, 512] } } };
    }
    // Keep the stream open (without new items) until the server ends it.
    await new Promise((r) => setTimeout(r, 20_000));
  }
  const streamed: { answered: number; wrong: number; failedItems: number; endCode?: number } = { answered: 0, wrong: 0, failedItems: 0 };

  // Every run waits in its worker until the test releases it, so calls are certainly in flight at the signal.
  hold.hold();
  const stream = (async () => {
    try {
      for await (const r of client.batchPredict(endless())) {
        if (!r.ok) streamed.failedItems++;
        else if (close(values(r.result.outputs.y.data) as number[], expectedRow.y.values as number[])) streamed.answered++;
        else streamed.wrong++;
      }
    } catch (err) {
      streamed.endCode = (err as grpc.ServiceError).code;
    }
  })();
  // The first held run is a stream item (nothing else was sent yet); the second is a unary call or another item.
  await hold.waitHeld(1);
  const loops = Array.from({ length: 12 }, loop);
  await hold.waitHeld(2);
  const heldAtSignal = hold.held();

  signalled = true;
  server.child.kill('SIGTERM');
  // Release the workers only once the server is draining: the held runs are finished by the drain.
  await until(() => /draining/.test(server.stderr()), 'the server to start draining');
  hold.release();
  await Promise.all(loops);
  await stream;
  const code = await server.exited;
  client.close();

  expect(code).toBe(0);
  const failures = outcomes.filter((o) => !o.ok);
  // Nothing the server accepted failed: the only failures are refusals of new calls.
  expect(failures.every((o) => o.code === grpc.status.UNAVAILABLE)).toBe(true);
  expect(outcomes.filter((o) => o.ok).every((o) => o.correct)).toBe(true);
  // Every run held in a worker at the signal was answered, correctly: the stream item and at least one more.
  expect(outcomes.filter((o) => o.ok).length + streamed.answered).toBeGreaterThanOrEqual(heldAtSignal);
  expect(streamed.failedItems).toBe(0);
  expect(streamed.wrong).toBe(0);
  expect(streamed.answered).toBeGreaterThan(0);
  expect(streamed.endCode).toBe(grpc.status.UNAVAILABLE);
  expect(server.stderr()).toMatch(/stopped/);
}, 90_000);
