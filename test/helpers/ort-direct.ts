/**
 * The reference: onnxruntime-node run directly (in a plain worker thread, see ort-direct-worker.ts) on the
 * same model and input. Outputs come back as plain arrays, so comparisons do not depend on realms.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { OrtTensorType, TensorData } from '../../src/codec/dtypes';

export interface DirectTensor {
  type: OrtTensorType;
  dims: readonly number[];
  data: TensorData;
}

export interface DirectOutput {
  type: string;
  dims: number[];
  values: unknown[];
}

let worker: Worker | null = null;
let nextId = 0;
const pending = new Map<number, { resolve: (o: Record<string, DirectOutput>) => void; reject: (e: Error) => void }>();

function getWorker(): Worker {
  if (!worker) {
    worker = new Worker(path.join(__dirname, 'ort-direct-worker.js'));
    worker.on('message', (m: { id: number; outputs?: Record<string, DirectOutput>; error?: string }) => {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error !== undefined) p?.reject(new Error(m.error));
      else p?.resolve(m.outputs!);
    });
    worker.unref();
  }
  return worker;
}

/** Runs the model directly; `intraOpThreads` defaults to the server's default (all cores). */
export function runDirect(
  modelPath: string,
  feeds: Record<string, DirectTensor>,
  options: { intraOpThreads?: number } = {},
): Promise<Record<string, DirectOutput>> {
  const id = nextId++;
  const plainFeeds = Object.fromEntries(
    Object.entries(feeds).map(([name, t]) => [name, { type: t.type, dims: [...t.dims], data: Array.from(t.data as ArrayLike<unknown>) }]),
  );
  const sessionOptions = options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {};
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    getWorker().postMessage({ id, modelPath, options: sessionOptions, feeds: plainFeeds });
  });
}

export async function releaseDirectSessions(): Promise<void> {
  if (worker) await worker.terminate();
  worker = null;
}

/** Plain array of any tensor data, for toEqual across realms. */
export function values(data: TensorData): unknown[] {
  return Array.from(data as ArrayLike<unknown>);
}
