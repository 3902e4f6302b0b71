/**
 * One load-generating client process: a closed loop of `concurrency` outstanding requests (unary calls, or
 * items on one BatchPredict stream) against amaas or the echo server on 127.0.0.1, for at most `durationMs`
 * and `maxRequests`. Prints one JSON line: completed, errors by code, latencies (ms).
 */
import * as grpc from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import { AmaasClient, BatchItem } from '../src/client/amaas-client';
import { inferenceService } from '../src/api/protos';
import { echoService } from './echo-server';
import { inputData } from './bench-models';

export interface LoadSpec {
  /** amaas: amaas.v1 Predict/BatchPredict; kserve: the Open Inference Protocol's ModelInfer (raw contents); echo: the ceiling. */
  target: 'amaas' | 'kserve' | 'echo';
  address: string;
  mode: 'unary' | 'stream';
  model: string;
  input: { name: string; dims: number[] };
  concurrency: number;
  durationMs: number;
  maxRequests: number;
  /** Per-call deadline; overload runs use it so queued calls expire instead of piling up. */
  deadlineMs?: number;
  /** Open loop: start this many calls per second whatever the answers (concurrency then caps what is outstanding). */
  rate?: number;
}

export interface LoadResult {
  completed: number;
  errors: Record<string, number>;
  latencies: number[];
  elapsedMs: number;
  /** Open loop: calls started, and calls skipped because `concurrency` were already outstanding. */
  started?: number;
  skipped?: number;
  /** Calls that never settled (no answer, no error) by the end: must be 0. */
  unanswered?: number;
  /** The first message seen for each error code, to tell failures apart. */
  samples?: Record<string, string>;
}

function assertLoopback(address: string): void {
  // Load is only ever sent to this machine.
  if (!/^(127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+$/.test(address)) throw new Error(`refusing to load non-loopback address ${address}`);
}

/**
 * The closed loop every unary driver shares: `concurrency` callers, each starting its next call when the last
 * one settles, until the time or the request budget runs out. `call` resolves on success and rejects with
 * the gRPC error; latencies and errors land in `result`.
 */
async function closedLoop(spec: LoadSpec, result: LoadResult, until: number, call: () => Promise<unknown>): Promise<void> {
  let issued = 0;
  const caller = async () => {
    while (performance.now() < until && issued < spec.maxRequests) {
      issued++;
      const t0 = performance.now();
      try {
        await call();
        result.latencies.push(performance.now() - t0);
        result.completed++;
      } catch (err) {
        const code = grpc.status[(err as grpc.ServiceError).code] ?? 'UNKNOWN';
        result.errors[code] = (result.errors[code] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, caller));
}

/** A grpc-js unary method as a promise. */
function unaryCall(client: any, method: string, request: unknown, options: grpc.CallOptions): Promise<unknown> {
  return new Promise((resolve, reject) => client[method](request, options, (err: grpc.ServiceError | null, res: unknown) => (err ? reject(err) : resolve(res))));
}

async function runAmaasUnary(spec: LoadSpec, result: LoadResult, until: number): Promise<void> {
  const client = new AmaasClient(spec.address);
  const data = inputData(spec.input.dims);
  await closedLoop(spec, result, until, () =>
    client.predict(spec.model, { [spec.input.name]: { data, dims: spec.input.dims } }, { timeoutMs: spec.deadlineMs }),
  );
  client.close();
}

/** Open loop: a fixed arrival rate, independent of how fast answers come back. */
async function runAmaasOpenLoop(spec: LoadSpec, result: LoadResult, until: number): Promise<void> {
  const client = new AmaasClient(spec.address);
  const data = inputData(spec.input.dims);
  let outstanding = 0;
  result.started = 0;
  result.skipped = 0;
  const settled: Promise<void>[] = [];
  const tickMs = 5;
  const perTick = (spec.rate! * tickMs) / 1000;
  let credit = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (performance.now() >= until || result.started! >= spec.maxRequests) {
        clearInterval(timer);
        resolve();
        return;
      }
      credit += perTick;
      for (; credit >= 1; credit--) {
        if (outstanding >= spec.concurrency) {
          result.skipped!++;
          continue;
        }
        outstanding++;
        result.started!++;
        const t0 = performance.now();
        settled.push(
          client
            .predict(spec.model, { [spec.input.name]: { data, dims: spec.input.dims } }, { timeoutMs: spec.deadlineMs })
            .then(
              () => {
                result.latencies.push(performance.now() - t0);
                result.completed++;
              },
              (err) => {
                const code = grpc.status[(err as grpc.ServiceError).code] ?? 'UNKNOWN';
                result.errors[code] = (result.errors[code] ?? 0) + 1;
                result.samples ??= {};
                result.samples[code] ??= (err as grpc.ServiceError).details ?? String(err);
              },
            )
            .finally(() => outstanding--),
        );
      }
    }, tickMs);
  });
  // Every call has a deadline, so each settles; give them that long plus a margin, then count the rest as lost.
  const grace = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), (spec.deadlineMs ?? 10_000) + 5_000));
  await Promise.race([Promise.all(settled), grace]);
  result.unanswered = outstanding;
  client.close();
}

async function runAmaasStream(spec: LoadSpec, result: LoadResult, until: number): Promise<void> {
  const client = new AmaasClient(spec.address, { channelOptions: {} });
  const data = inputData(spec.input.dims);
  const sentAt = new Map<string, number>();
  let next = 0;
  // The stream's own flow control bounds what is outstanding; the generator stops at the duration or count.
  async function* items(): AsyncGenerator<BatchItem> {
    while (performance.now() < until && next < spec.maxRequests) {
      // Keep at most `concurrency` items outstanding, like the unary loop.
      while (sentAt.size >= spec.concurrency) await new Promise((r) => setImmediate(r));
      const id = String(next++);
      sentAt.set(id, performance.now());
      yield { id, model: spec.model, inputs: { [spec.input.name]: { data, dims: spec.input.dims } } };
    }
  }
  for await (const r of client.batchPredict(items())) {
    const t0 = sentAt.get(r.id)!;
    sentAt.delete(r.id);
    if (r.ok) {
      result.latencies.push(performance.now() - t0);
      result.completed++;
    } else {
      const code = grpc.status[r.code] ?? 'UNKNOWN';
      result.errors[code] = (result.errors[code] ?? 0) + 1;
    }
  }
  client.close();
}

/** The Open Inference Protocol's ModelInfer with raw_input_contents, as Triton's clients send it. */
async function runKserveUnary(spec: LoadSpec, result: LoadResult, until: number): Promise<void> {
  const Service = inferenceService();
  const client = new Service(spec.address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 }) as any;
  const d = inputData(spec.input.dims);
  const request = {
    model_name: spec.model,
    model_version: '',
    inputs: [{ name: spec.input.name, datatype: 'FP32', shape: spec.input.dims }],
    raw_input_contents: [Buffer.from(d.buffer, d.byteOffset, d.byteLength)],
  };
  const options = () => (spec.deadlineMs ? { deadline: Date.now() + spec.deadlineMs } : {});
  await closedLoop(spec, result, until, () => unaryCall(client, 'ModelInfer', request, options()));
  client.close();
}

async function runEcho(spec: LoadSpec, result: LoadResult, until: number): Promise<void> {
  const Service = echoService();
  const client = new Service(spec.address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 }) as any;
  const d = inputData(spec.input.dims);
  const payload = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  if (spec.mode === 'unary') {
    await closedLoop(spec, result, until, () => unaryCall(client, 'Echo', { id: '', payload }, {}));
  } else {
    let issued = 0;
    const call = client.EchoStream();
    const sentAt = new Map<string, number>();
    let done: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const send = () => {
      while (sentAt.size < spec.concurrency && performance.now() < until && issued < spec.maxRequests) {
        const id = String(issued++);
        sentAt.set(id, performance.now());
        call.write({ id, payload });
      }
      if (sentAt.size === 0) call.end();
    };
    call.on('data', (m: { id: string }) => {
      result.latencies.push(performance.now() - sentAt.get(m.id)!);
      sentAt.delete(m.id);
      result.completed++;
      send();
    });
    call.on('end', () => done());
    call.on('error', () => done());
    send();
    await finished;
  }
  client.close();
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  assertLoopback(spec.address);
  const result: LoadResult = { completed: 0, errors: {}, latencies: [], elapsedMs: 0 };
  const start = performance.now();
  const until = start + spec.durationMs;
  if (spec.target === 'echo') await runEcho(spec, result, until);
  else if (spec.target === 'kserve') await runKserveUnary(spec, result, until);
  else if (spec.mode === 'stream') await runAmaasStream(spec, result, until);
  else if (spec.rate) await runAmaasOpenLoop(spec, result, until);
  else await runAmaasUnary(spec, result, until);
  result.elapsedMs = performance.now() - start;
  return result;
}

if (require.main === module) {
  const spec = JSON.parse(process.argv[2]) as LoadSpec;
  runLoad(spec).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (err) => {
      process.stderr.write(`load client failed: ${(err as Error).stack}\n`);
      process.exit(1);
    },
  );
}
