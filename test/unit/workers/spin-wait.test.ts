/**
 * workers/spin-wait.ts, in real worker threads (it replaces Atomics.wait in the thread that calls it). The main
 * thread changes the counter WITHOUT Atomics.notify: only a waiter that is still polling can see that, so an
 * answer of 'not-equal' proves the spin. The main thread notifies after a bound so that no run can hang.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';

const SPIN_WAIT = path.join(__dirname, '..', '..', '..', 'workers', 'spin-wait.js');
/** When the counter changes, after the waiter says it is about to wait; far inside the 5 s spin below. */
const CHANGE_AFTER_MS = 200;
const NOTIFY_AFTER_MS = 2_000;

/** What `Atomics.wait(counter, 0, 0, timeout)` answers in a worker that called spinBeforeWaiting(spinUs). */
async function waitIn(spinUs: number, timeout?: number): Promise<string> {
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     require(workerData.module).spinBeforeWaiting(workerData.spinUs);
     parentPort.postMessage('waiting');
     parentPort.postMessage(Atomics.wait(workerData.counter, 0, 0, workerData.timeout));`,
    { eval: true, workerData: { module: SPIN_WAIT, spinUs, counter, timeout } },
  );
  const timers: NodeJS.Timeout[] = [];
  try {
    return await new Promise<string>((resolve, reject) => {
      worker.on('message', (m: string) => {
        if (m !== 'waiting') return resolve(m);
        timers.push(setTimeout(() => Atomics.store(counter, 0, 1), CHANGE_AFTER_MS));
        // A sleeping waiter wakes only here, answering 'ok'.
        timers.push(setTimeout(() => Atomics.notify(counter, 0), NOTIFY_AFTER_MS));
      });
      worker.on('error', reject);
    });
  } finally {
    for (const t of timers) clearTimeout(t);
    await worker.terminate();
  }
}

describe('spinBeforeWaiting', () => {
  it('sees a change of the counter that nobody notified while it spins', async () => {
    // A sleeping Atomics.wait would end only at the notify, with 'ok'.
    expect(await waitIn(5_000_000)).toBe('not-equal');
  }, 20_000);

  it('leaves Atomics.wait as it is when the spin is 0: the un-notified change is not seen', async () => {
    expect(await waitIn(0)).toBe('ok');
  }, 20_000);

  it('passes a bounded wait through unspun', async () => {
    // With the counter still 0, a 1 ms wait times out (a spun one would have polled until the change).
    expect(await waitIn(5_000_000, 1)).toBe('timed-out');
  }, 20_000);
});
