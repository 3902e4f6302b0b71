/**
 * One load-generating client process: a closed loop of `concurrency` outstanding requests (unary calls, or
 * items on one BatchPredict stream) against amaas or the echo server on 127.0.0.1, for at most `durationMs`
 * and `maxRequests`. Prints one JSON line: completed, errors by code, latencies (ms).
 *
 * This process shares the machine's cores with the server under test, so it spends as little CPU per call as
 * it can: each request is encoded once (wire-bytes.ts) and answers are not decoded beyond their id and status.
 * amaas and the echo ceiling are driven by the same code, so their ratio compares the servers alone.
 */
import * as grpc from '@grpc/grpc-js';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { amaasV1Service, inferenceService } from '../src/api/protos';
import { channelCredentials } from '../src/client/amaas-client';
import { lengthDelimitedField, readBatchAnswer, readStringField, stringField } from './wire-bytes';
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
  /** Sent as `authorization: Bearer <apiKey>` on every call (a server with auth.tenants_file). */
  apiKey?: string;
  /** Connect over TLS, trusting this CA certificate file (PEM). */
  tlsCaFile?: string;
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

/** Counts one failed call under its status name; `sample` keeps the first message seen for that name. */
function countError(result: LoadResult, code: number, sample?: string): void {
  const name = grpc.status[code] ?? 'UNKNOWN';
  result.errors[name] = (result.errors[name] ?? 0) + 1;
  if (sample !== undefined) {
    result.samples ??= {};
    result.samples[name] ??= sample;
  }
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
        countError(result, (err as grpc.ServiceError).code);
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, caller));
}


/** Sends bytes as they are, and hands answers over undecoded: the drivers read only what they count. */
const passThrough = (b: Buffer): Buffer => b;

/** A unary call with a prebuilt request; resolves with the undecoded answer, rejects with the gRPC error. */
export function rawUnary(client: grpc.Client, method: string, request: Buffer, options: grpc.CallOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(method, passThrough, passThrough, request, callMetadata(client), options, (err, res) => (err ? reject(err) : resolve(res!))),
  );
}

/**
 * The `authorization` metadata of each call, or an empty set. One object serves every call: grpc-js clones the
 * metadata when a call starts (ResolvingCall.start), so nothing it sends changes it, and the client, which
 * shares the server's cores, spends nothing per call on a copy.
 */
const bearerOf = new WeakMap<grpc.Client, grpc.Metadata>();
const NO_METADATA = new grpc.Metadata();
function callMetadata(client: grpc.Client): grpc.Metadata {
  return bearerOf.get(client) ?? NO_METADATA;
}

/**
 * The SDK's channel credentials (src/client/amaas-client.ts), so TLS costs what it costs a real client. The key
 * goes as per-call metadata rather than through the SDK's client interceptor: this process shares the server's
 * cores, and the bench measures what auth costs the server.
 */
export function rawClient(spec: LoadSpec): grpc.Client {
  const credentials = channelCredentials({ tls: spec.tlsCaFile ? { ca: fs.readFileSync(spec.tlsCaFile) } : undefined });
  const client = new grpc.Client(spec.address, credentials, { 'grpc.max_receive_message_length': -1 });
  if (spec.apiKey) {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${spec.apiKey}`);
    bearerOf.set(client, metadata);
  }
  return client;
}

const deadlineOption = (spec: LoadSpec): grpc.CallOptions => (spec.deadlineMs ? { deadline: Date.now() + spec.deadlineMs } : {});

function inputBytes(spec: LoadSpec): Buffer {
  const d = inputData(spec.input.dims);
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
}

/**
 * The amaas.v1 PredictRequest every amaas driver sends, encoded once: raw little-endian contents, as a
 * generated client in production sends them.
 */
function predictRequestBytes(spec: LoadSpec): Buffer {
  return amaasV1Service().service.Predict.requestSerialize({
    model_name: spec.model,
    inputs: [{ name: spec.input.name, datatype: 'DATA_TYPE_FP32', shape: spec.input.dims, raw_contents: inputBytes(spec) }],
    output_encoding: 'TENSOR_ENCODING_RAW',
  });
}

/** Which RPC a unary driver calls, and its one prebuilt request. */
export function unaryTarget(spec: LoadSpec): { method: string; request: Buffer } {
  if (spec.target === 'echo') {
    return { method: '/amaas.bench.EchoService/Echo', request: echoService().service.Echo.requestSerialize({ id: '', payload: inputBytes(spec) }) };
  }
  if (spec.target === 'kserve') {
    // The Open Inference Protocol's ModelInfer with raw_input_contents, as Triton's clients send it.
    const request = inferenceService().service.ModelInfer.requestSerialize({
      model_name: spec.model,
      inputs: [{ name: spec.input.name, datatype: 'FP32', shape: spec.input.dims }],
      raw_input_contents: [inputBytes(spec)],
    });
    return { method: '/inference.GRPCInferenceService/ModelInfer', request };
  }
  return { method: '/amaas.v1.InferenceService/Predict', request: predictRequestBytes(spec) };
}

async function runUnary(spec: LoadSpec, result: LoadResult, until: number): Promise<void> {
  const client = rawClient(spec);
  const { method, request } = unaryTarget(spec);
  await closedLoop(spec, result, until, () => rawUnary(client, method, request, deadlineOption(spec)));
  client.close();
}

/** Open loop: a fixed arrival rate, independent of how fast answers come back. */
async function runOpenLoop(spec: LoadSpec, result: LoadResult, until: number): Promise<void> {
  const client = rawClient(spec);
  const { method, request } = unaryTarget(spec);
  let outstanding = 0;
  result.started = 0;
  result.skipped = 0;
  const settled: Promise<void>[] = [];
  const tickMs = 5;
  const begin = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      if (now >= until || result.started! >= spec.maxRequests) {
        clearInterval(timer);
        resolve();
        return;
      }
      // Calls due by now at the target rate, whenever this tick actually fires (a late timer catches up).
      const due = Math.floor(((now - begin) * spec.rate!) / 1000) - result.started! - result.skipped!;
      for (let i = 0; i < due; i++) {
        if (outstanding >= spec.concurrency) {
          result.skipped!++;
          continue;
        }
        outstanding++;
        result.started!++;
        const t0 = performance.now();
        settled.push(
          rawUnary(client, method, request, deadlineOption(spec))
            .then(
              () => {
                result.latencies.push(performance.now() - t0);
                result.completed++;
              },
              (err) => countError(result, (err as grpc.ServiceError).code, (err as grpc.ServiceError).details ?? String(err)),
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

/** How a stream driver builds item `id` and reads an answer's id and status code. */
interface StreamTarget {
  method: string;
  item(id: string): Buffer;
  answer(bytes: Buffer): { id: string; code: number };
}

function streamTarget(spec: LoadSpec): StreamTarget {
  if (spec.target === 'echo') {
    const base = echoService().service.Echo.requestSerialize({ id: '', payload: inputBytes(spec) });
    return {
      method: '/amaas.bench.EchoService/EchoStream',
      item: (id) => Buffer.concat([base, stringField(1, id)]),
      answer: (bytes) => ({ id: readStringField(bytes, 1), code: 0 }),
    };
  }
  // BatchPredictRequest{request = 1: PredictRequest{..., id = 3}}: a field appended to a message sets it.
  const predict = predictRequestBytes(spec);
  return {
    method: '/amaas.v1.InferenceService/BatchPredict',
    item: (id) => lengthDelimitedField(1, Buffer.concat([predict, stringField(3, id)])),
    answer: readBatchAnswer,
  };
}

/** One bidirectional stream with at most `concurrency` items outstanding; the next item goes out as an answer arrives. */
async function runStream(spec: LoadSpec, result: LoadResult, until: number): Promise<void> {
  const client = rawClient(spec);
  const target = streamTarget(spec);
  const call = client.makeBidiStreamRequest(target.method, passThrough, passThrough, callMetadata(client));
  const sentAt = new Map<string, number>();
  let issued = 0;
  let ended = false;
  const send = () => {
    while (sentAt.size < spec.concurrency && performance.now() < until && issued < spec.maxRequests) {
      const id = String(issued++);
      sentAt.set(id, performance.now());
      call.write(target.item(id));
    }
    if (sentAt.size === 0 && !ended) {
      ended = true;
      call.end();
    }
  };
  const finished = new Promise<void>((done) => {
    call.on('data', (bytes: Buffer) => {
      const { id, code } = target.answer(bytes);
      const t0 = sentAt.get(id)!;
      sentAt.delete(id);
      if (code === grpc.status.OK) {
        result.latencies.push(performance.now() - t0);
        result.completed++;
      } else {
        countError(result, code);
      }
      send();
    });
    call.on('end', done);
    call.on('error', (err: grpc.ServiceError) => {
      countError(result, err.code);
      done();
    });
  });
  send();
  await finished;
  result.unanswered = sentAt.size;
  client.close();
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  assertLoopback(spec.address);
  const result: LoadResult = { completed: 0, errors: {}, latencies: [], elapsedMs: 0 };
  const start = performance.now();
  const until = start + spec.durationMs;
  if (spec.mode === 'stream') await runStream(spec, result, until);
  else if (spec.rate) await runOpenLoop(spec, result, until);
  else await runUnary(spec, result, until);
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
