/**
 * Lets this worker thread stay awake for a short bounded time after it answers, so a task that comes soon after
 * starts without a sleeping thread being woken (issue 16: waking a thread is slow on a VM).
 *
 * Piscina's worker waits for its next task in `Atomics.wait` on a counter the main thread bumps for each task it
 * posts. Wrapping `Atomics.wait` in this thread only (each worker has its own globals) spins first, reading the
 * counter, and falls back to the real wait once `spinUs` has passed. Returning early is within `Atomics.wait`'s
 * contract for its callers: a result of 'not-equal' means the value changed, and Piscina re-checks in a loop.
 */
import { performance } from 'node:perf_hooks';

export function spinBeforeWaiting(spinUs: number): void {
  if (!(spinUs > 0)) return;
  const wait = Atomics.wait.bind(Atomics);
  const spinMs = spinUs / 1000;
  Atomics.wait = ((array: Int32Array, index: number, value: number, timeout?: number): 'ok' | 'not-equal' | 'timed-out' => {
    // Only an open-ended wait is spun (Piscina's); a bounded one (amaas's release) waits as asked.
    if (timeout === undefined || timeout === Infinity) {
      const until = performance.now() + spinMs;
      while (performance.now() < until) {
        if (Atomics.load(array, index) !== value) return 'not-equal';
      }
    }
    return wait(array, index, value, timeout);
  }) as typeof Atomics.wait;
}
