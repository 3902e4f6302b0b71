/**
 * A test hook: holds a worker before a run until the test releases it, so tests can prove queueing, admission
 * and drain without depending on how fast this machine runs a model. Off unless AMAAS_TEST_HOLD_DIR names a
 * folder (only tests set it); then each run waits while `<dir>/hold` exists, after leaving a file
 * `held-<pid>-<thread>-<n>` there, so a test knows that a run has reached a worker. Warm-up and describe never
 * wait. Files rather than shared memory, so one hook serves in-process servers and server processes alike.
 */
import fs from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';

const dir = process.env.AMAAS_TEST_HOLD_DIR;
/** A forgotten hold must not wedge a worker for ever: past this it lets the run go. */
const MAX_HOLD_MS = 120_000;
const POLL_MS = 5;
const nap = new Int32Array(new SharedArrayBuffer(4));
let runs = 0;

export function holdIfAsked(): void {
  if (!dir) return;
  const gate = path.join(dir, 'hold');
  if (!fs.existsSync(gate)) return;
  fs.writeFileSync(path.join(dir, `held-${process.pid}-${threadId}-${++runs}`), '');
  const until = Date.now() + MAX_HOLD_MS;
  while (fs.existsSync(gate) && Date.now() < until) Atomics.wait(nap, 0, 0, POLL_MS);
}
