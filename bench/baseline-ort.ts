/**
 * The model ceiling: onnxruntime-node with no server, on the same thread budget as the server. Tries one
 * session with all cores' threads and one session per core (each in its own worker thread, since session.run
 * blocks its thread), at several batch sizes, and reports the best throughput and the batch-1 latency.
 */
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { summarize } from './stats';

export interface BaselineConfig {
  workers: number;
  threads: number;
  batch: number;
}

export interface BaselinePoint extends BaselineConfig {
  samplesPerSec: number;
  p50Ms: number;
}

export interface BaselineResult {
  points: BaselinePoint[];
  best: BaselinePoint;
  /** Batch 1 with all cores' threads in one session: the latency a single caller could get. */
  batch1: BaselinePoint;
}

async function measure(modelPath: string, inputName: string, dims: number[], c: BaselineConfig, durationMs: number): Promise<BaselinePoint> {
  const batchDims = [c.batch, ...dims.slice(1)];
  const workers = Array.from(
    { length: c.workers },
    () => new Worker(path.join(__dirname, 'baseline-ort-worker.js'), { workerData: { modelPath, inputName, dims: batchDims, threads: c.threads, durationMs } }),
  );
  await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))));
  const results = workers.map((w) => new Promise<{ runs: number; latencies: number[] }>((r) => w.once('message', r)));
  for (const w of workers) w.postMessage('go');
  const exited = workers.map((w) => new Promise((r) => w.once('exit', r)));
  const done = await Promise.all(results);
  await Promise.all(exited);
  const runs = done.reduce((n, d) => n + d.runs, 0);
  return { ...c, samplesPerSec: (runs * c.batch) / (durationMs / 1000), p50Ms: summarize(done.flatMap((d) => d.latencies)).p50 };
}

export async function runBaseline(
  modelPath: string,
  inputName: string,
  dims: number[],
  options: { batches: number[]; durationMs: number; cores?: number },
): Promise<BaselineResult> {
  const cores = options.cores ?? os.availableParallelism();
  const configs: BaselineConfig[] = [];
  for (const batch of options.batches) {
    configs.push({ workers: 1, threads: cores, batch });
    if (cores > 1) configs.push({ workers: cores, threads: 1, batch });
  }
  const points: BaselinePoint[] = [];
  for (const c of configs) points.push(await measure(modelPath, inputName, dims, c, options.durationMs));
  const best = points.reduce((a, b) => (b.samplesPerSec > a.samplesPerSec ? b : a));
  const batch1 = points.find((p) => p.batch === 1 && p.workers === 1)!;
  return { points, best, batch1 };
}

if (require.main === module) {
  const [modelPath, inputName, dimsJson, batchesJson, durationMs] = process.argv.slice(2);
  runBaseline(modelPath, inputName, JSON.parse(dimsJson), { batches: JSON.parse(batchesJson), durationMs: Number(durationMs) }).then((r) =>
    process.stdout.write(`${JSON.stringify(r)}\n`),
  );
}
