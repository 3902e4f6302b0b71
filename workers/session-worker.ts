/**
 * The Piscina worker entry: one InferenceSession per worker thread, opened once when the thread starts and
 * reused for every task. All onnxruntime calls of amaas happen here, never on the main thread.
 */
import * as ort from 'onnxruntime-node';
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import type {
  DescribeReply,
  IoMetadata,
  RunReply,
  ReleaseTask,
  RunTask,
  SessionDescription,
  TensorPayload,
  WorkerConfig,
  WorkerFailure,
  WorkerTask,
} from '../src/pool/messages';
import { classifyRunError } from '../src/pool/worker-errors';
import { AmaasError } from '../src/errors';
import { openModel } from '../src/repository/model-envelope';
import { keyIdOf } from '../src/repository/model-key';
import { relativeTo } from '../src/errors-format';
import { WarmupRequest, generatedWarmupNote, generatedWarmupRequests, sampleWarmupRequests } from '../src/pool/warmup-requests';
import { holdIfAsked } from './test-hold';
import { spinBeforeWaiting } from './spin-wait';
import { THREAD_NAMES, nameThisThread } from '../src/pool/thread-names';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface OpenSession {
  readonly session: ort.InferenceSession;
  readonly description: SessionDescription;
}

const config = workerData as WorkerConfig;
spinBeforeWaiting(config.spinUs);

// Opening (and warming) starts as soon as the thread does; a failure is kept and answered to every task, so a
// broken model never crashes the thread (Piscina would respawn it forever).
const opening: Promise<OpenSession | WorkerFailure> = openSession(config)
  .catch(
    (err): WorkerFailure => ({
      ok: false,
      code: 'AMAAS_ERR_MODEL_LOAD_FAILED',
      // Clients see this as the version's reason: the file's name, and onnxruntime's words without the folder.
      message: `onnxruntime could not load ${path.basename(config.modelPath)}: ${relativeTo((err as Error).message, path.dirname(config.modelPath))}`,
    }),
  )
  .then((opened) => ('ok' in opened ? opened : warmUp(opened)));

/**
 * Runs the warm-up requests; the version only becomes READY once every worker has answered 'describe'. The
 * generated warm-up is best effort: when none of its tries runs, the session serves anyway and its description
 * carries a note saying why. A sample under warmup/ that fails fails the load (the user asked for it).
 */
async function warmUp(opened: OpenSession): Promise<OpenSession | WorkerFailure> {
  const { generated, runs } = config.warmup;
  if (runs === 0) return opened;
  let samples: WarmupRequest[];
  try {
    samples = sampleWarmupRequests(path.dirname(config.modelPath), opened.description.inputs);
  } catch (err) {
    return warmupFailed(opened, (err as Error).message);
  }
  const outputNames = opened.description.outputs.map((o) => o.name);
  const note = generated ? await generatedWarmUp(opened, outputNames, runs) : null;
  for (const request of samples) {
    const failure = await runTimes(opened.session, request, outputNames, runs);
    if (failure !== null) return warmupFailed(opened, `${request.label} request: ${failure}`);
  }
  return note === null ? opened : { ...opened, description: { ...opened.description, notes: [note] } };
}

/** Tries each generated request until one runs `runs` times; null then, else the note saying why none ran. */
async function generatedWarmUp(opened: OpenSession, outputNames: string[], runs: number): Promise<string | null> {
  const failures: { label: string; message: string }[] = [];
  try {
    for (const request of generatedWarmupRequests(opened.description.inputs)) {
      const failure = await runTimes(opened.session, request, outputNames, runs);
      if (failure === null) return null;
      failures.push({ label: request.label, message: failure });
    }
  } catch (err) {
    failures.push({ label: 'generated', message: (err as Error).message });
  }
  return generatedWarmupNote(failures);
}

/** Runs one warm-up request `runs` times; null when every run succeeded, else the first failure's message. */
async function runTimes(session: ort.InferenceSession, request: WarmupRequest, outputNames: string[], runs: number): Promise<string | null> {
  for (let i = 0; i < runs; i++) {
    const reply = await run(session, { kind: 'run', inputs: request.inputs, outputNames });
    if (!reply.ok) return reply.message;
  }
  return null;
}

async function warmupFailed(opened: OpenSession, why: string): Promise<WorkerFailure> {
  await opened.session.release().catch(() => undefined);
  return { ok: false, code: 'AMAAS_ERR_MODEL_LOAD_FAILED', message: `warm-up failed: ${why}` };
}

let released = false;

/** Frees the session, then holds this worker until every worker has its release task (see ReleaseTask). */
async function release(opened: OpenSession | WorkerFailure, task: ReleaseTask): Promise<{ ok: true }> {
  if (!released && !('ok' in opened)) {
    released = true;
    await opened.session.release();
  }
  const arrived = new Int32Array(task.arrived);
  Atomics.add(arrived, 0, 1);
  Atomics.notify(arrived, 0);
  const deadline = Date.now() + 5_000;
  for (let seen = Atomics.load(arrived, 0); seen < task.workers && Date.now() < deadline; seen = Atomics.load(arrived, 0)) {
    Atomics.wait(arrived, 0, seen, 100);
  }
  return { ok: true };
}

/**
 * Lowers this thread's OS priority before the session starts its intra-op threads, which inherit it. Linux
 * only: a thread's id comes from /proc/thread-self. Elsewhere, or without permission, it returns why not.
 */
function lowerThreadPriority(nice: number): string | null {
  if (nice === 0) return null;
  try {
    const tid = Number(path.basename(fs.readlinkSync('/proc/thread-self')));
    os.setPriority(tid, nice);
    return null;
  } catch (err) {
    return `worker_nice ${nice} not applied (${(err as Error).message}); worker threads run at the server's priority`;
  }
}

async function openSession(c: WorkerConfig): Promise<OpenSession | WorkerFailure> {
  // onnxruntime's threads, started while the session is created, inherit this name; the worker takes its own after.
  nameThisThread(THREAD_NAMES.onnxruntime);
  try {
    return await createSession(c);
  } finally {
    nameThisThread(THREAD_NAMES.worker);
  }
}

async function createSession(c: WorkerConfig): Promise<OpenSession | WorkerFailure> {
  const warnings: string[] = [];
  const notNiced = lowerThreadPriority(c.nice);
  if (notNiced) warnings.push(notNiced);
  const spinning = c.allowSpinning ? '1' : '0';
  const options = (providers: string[]): ort.InferenceSession.SessionOptions => ({
    executionProviders: providers,
    intraOpNumThreads: c.intraOpThreads,
    interOpNumThreads: c.interOpThreads,
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: spinning }, inter_op: { allow_spinning: spinning } } },
  });
  let source: string | Uint8Array;
  try {
    source = modelSource(c);
  } catch (err) {
    if (err instanceof AmaasError) return { ok: false, code: err.code, message: err.message };
    throw err;
  }
  try {
    return await createSessionFrom(source, c, options, warnings);
  } finally {
    // onnxruntime parsed its own copy of the model: the decrypted bytes are not kept anywhere.
    if (typeof source !== 'string') source.fill(0);
  }
}

/**
 * What onnxruntime opens: the model file's path, or for an encrypted model (model.onnx.enc) its bytes,
 * decrypted here in the worker's memory, so no plaintext copy is ever written to disk.
 */
function modelSource(c: WorkerConfig): string | Uint8Array {
  if (!c.encryption) return c.modelPath;
  const { masterKey, model, version } = c.encryption;
  const key = { bytes: Buffer.from(masterKey), id: keyIdOf(masterKey) };
  try {
    return openModel(fs.readFileSync(c.modelPath), key, { model, version }, path.basename(c.modelPath));
  } finally {
    key.bytes.fill(0);
  }
}

async function createSessionFrom(
  source: string | Uint8Array,
  c: WorkerConfig,
  options: (providers: string[]) => ort.InferenceSession.SessionOptions,
  warnings: string[],
): Promise<OpenSession | WorkerFailure> {
  // The two overloads of create, one call site: a path or the model's bytes.
  const create = (o: ort.InferenceSession.SessionOptions) =>
    typeof source === 'string' ? ort.InferenceSession.create(source, o) : ort.InferenceSession.create(source, o);
  if (c.device !== 'cpu') {
    try {
      const session = await create(options(['cuda']));
      return { session, description: describe(session, 'cuda', warnings) };
    } catch (err) {
      const reason = relativeTo((err as Error).message, path.dirname(c.modelPath));
      if (c.device === 'cuda') {
        return {
          ok: false,
          code: 'AMAAS_ERR_EXECUTION_PROVIDER_UNAVAILABLE',
          message:
            `device 'cuda' was asked for, but onnxruntime could not use the CUDA execution provider (${reason}). ` +
            `Install onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12 on a machine with CUDA 12, or set device: cpu or auto.`,
        };
      }
      warnings.push(`device 'auto': CUDA is not usable (${reason}); running on CPU`);
    }
  }
  const session = await create(options(['cpu']));
  return { session, description: describe(session, 'cpu', warnings) };
}

function describe(session: ort.InferenceSession, provider: 'cpu' | 'cuda', warnings: string[]): SessionDescription {
  const io = (m: ort.InferenceSession.ValueMetadata): IoMetadata =>
    m.isTensor
      ? { name: m.name, type: m.type, shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) }
      : { name: m.name, type: 'non-tensor', shape: [] };
  return {
    inputs: session.inputMetadata.map(io),
    outputs: session.outputMetadata.map(io),
    executionProvider: provider,
    warnings,
  };
}

async function run(session: ort.InferenceSession, task: RunTask): Promise<RunReply> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(task.inputs)) {
    feeds[name] = new ort.Tensor(t.type, t.data as ort.Tensor.DataType, t.dims);
  }
  let results: ort.InferenceSession.ReturnType;
  try {
    results = await session.run(feeds, task.outputNames as string[]);
  } catch (err) {
    return classifyRunError(err);
  }
  const outputs: Record<string, TensorPayload> = {};
  for (const name of task.outputNames) {
    const t = results[name];
    outputs[name] = { type: t.type as TensorPayload['type'], dims: t.dims, data: t.data as TensorPayload['data'] };
  }
  return { ok: true, outputs };
}

/** Replies carry output buffers by transfer; each buffer is listed once (outputs may share one). */
function withTransfer(reply: RunReply): unknown {
  if (!reply.ok) return reply;
  const buffers = new Set<ArrayBuffer>();
  for (const t of Object.values(reply.outputs)) {
    if (!Array.isArray(t.data) && t.data.buffer instanceof ArrayBuffer) buffers.add(t.data.buffer);
  }
  return move({ [transferableSymbol]: [...buffers], [valueSymbol]: reply } as never);
}

export default async function handle(task: WorkerTask): Promise<unknown> {
  const opened = await opening;
  if (task.kind === 'release') return release(opened, task);
  if ('ok' in opened) return opened;
  if (released) return { ok: false, code: 'AMAAS_ERR_MODEL_UNAVAILABLE', message: 'the session was released' } satisfies WorkerFailure;
  if (task.kind === 'describe') return { ok: true, description: opened.description } satisfies DescribeReply;
  holdIfAsked();
  return withTransfer(await run(opened.session, task));
}
