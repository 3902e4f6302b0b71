/**
 * Names for amaas's threads, so per-thread CPU can be read by what each thread does (`/proc/<pid>/task/*` comm;
 * `top -H` and `ps -L` show them too). Node 20 names no thread: every one is `node`. A Linux thread may rename
 * itself through /proc/thread-self/comm, and threads it starts afterwards inherit the name, which is how
 * onnxruntime's own pools are told apart from the worker thread that owns them.
 */
import fs from 'node:fs';

export const THREAD_NAMES = {
  /** A Piscina worker thread holding an InferenceSession. */
  worker: 'amaas-worker',
  /** Threads onnxruntime starts for a session (intra-op and inter-op pools). */
  onnxruntime: 'amaas-ort',
} as const;

/** Renames the calling thread (15 characters at most); a no-op where /proc/thread-self is not writable. */
export function nameThisThread(name: string): void {
  try {
    fs.writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
  } catch {
    // Not Linux, or /proc read-only: the names only serve measurement.
  }
}
