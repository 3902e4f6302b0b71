/**
 * A worker thread that dies is replaced, and the version keeps serving with the same number of workers.
 * Worker threads run at worker_nice (default 10) below the gRPC thread.
 */
import fs from 'node:fs';
import { makeRepository, writeModelConfig } from '../helpers/model-repository';
import { TestServer, startTestServer } from '../helpers/test-server';
import { until } from '../helpers/until';

let ts: TestServer;

beforeAll(async () => {
  const repo = await makeRepository([{ model: 'scale' }]);
  writeModelConfig(repo, 'scale', { instances: 2, intra_op_threads: 1 });
  ts = await startTestServer(repo);
});

afterAll(() => ts.stop());

const x = { x: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } };

it('replaces a worker that exits and keeps answering', async () => {
  const pool = ts.server.registry.get('scale')!.versions.get(1)!.sessionPool!;
  expect(pool.threadCount).toBe(2);
  const victim = pool.threads[0];
  const exited = new Promise((resolve) => victim.once('exit', resolve));
  await victim.terminate();
  await exited;
  // Every request after the death is answered correctly.
  const results = await Promise.all(Array.from({ length: 20 }, () => ts.client.predict('scale', x)));
  for (const r of results) expect(Array.from(r.outputs.y.data as Float32Array)).toEqual([3, 5, 7, 9]);
  expect(pool.threadCount).toBe(2);
  expect(pool.threads).not.toContain(victim);
});

/** nice of each thread of this process (field 19 of /proc/self/task/<tid>/stat). */
function threadNices(): Map<number, number> {
  const nices = new Map<number, number>();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // The command name may hold spaces; the fields after its closing parenthesis start with field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    nices.set(Number(tid), Number(fields[19 - 3]));
  }
  return nices;
}

(process.platform === 'linux' ? it : it.skip)('runs the worker threads at worker_nice, below the gRPC thread', async () => {
  const atWorkerNice = () => [...threadNices().values()].filter((n) => n === 10).length;
  // Both workers of 'scale' (default worker_nice 10). The replacement of the worker killed above lowers its own
  // priority when its thread starts, which may still be under way: wait for it (bounded, to catch a hang).
  await until(() => atWorkerNice() >= 2, 'both workers at worker_nice 10');
  expect(threadNices().get(process.pid)).toBe(0);
});
