/** A raw onnxruntime session in a worker thread: runs batch after batch for a fixed time, reports samples/s. */
import * as ort from 'onnxruntime-node';
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';

interface Job {
  modelPath: string;
  inputName: string;
  dims: number[];
  threads: number;
  durationMs: number;
}

async function main(job: Job): Promise<void> {
  const session = await ort.InferenceSession.create(job.modelPath, {
    intraOpNumThreads: job.threads,
    interOpNumThreads: 1,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const n = job.dims.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const feeds = { [job.inputName]: new ort.Tensor('float32', data, job.dims) };
  await session.run(feeds); // warm-up
  parentPort!.postMessage({ ready: true });
  await new Promise((r) => parentPort!.once('message', r)); // start together
  const latencies: number[] = [];
  const until = performance.now() + job.durationMs;
  while (performance.now() < until) {
    const t0 = performance.now();
    await session.run(feeds);
    latencies.push(performance.now() - t0);
  }
  // Release before reporting: the thread then ends on its own; terminating it with a live session aborts.
  await session.release();
  parentPort!.postMessage({ runs: latencies.length, latencies });
  parentPort!.close();
}

main(workerData as Job);
