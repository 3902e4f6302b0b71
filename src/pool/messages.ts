/**
 * The main <-> worker protocol, in one place. Tasks and replies cross a thread boundary by structured clone,
 * except tensor buffers, which are always transferred (listed in the transfer list, never copied).
 */
import type { ErrorCode } from '../errors';
import type { OrtTensorType, TensorData } from '../codec/dtypes';

/** What a worker needs to open its session; passed once as Piscina's workerData. */
export interface WorkerConfig {
  readonly modelPath: string;
  readonly device: 'cpu' | 'cuda' | 'auto';
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
  readonly allowSpinning: boolean;
  /** nice value for the worker thread and the onnxruntime threads it starts (worker_nice). */
  readonly nice: number;
  /** worker_spin_us: how long the worker polls for its next task before it sleeps (workers/spin-wait.ts). */
  readonly spinUs: number;
  /** Warm-up the worker runs after opening its session, before it answers 'describe'. */
  readonly warmup: { readonly generated: boolean; readonly runs: number };
  /**
   * Set for an encrypted model (model.onnx.enc): the worker decrypts it in memory and opens the session from
   * the bytes. `masterKey` is the raw master key; it is never logged and never leaves the worker's memory.
   */
  readonly encryption?: { readonly masterKey: Uint8Array; readonly model: string; readonly version: number };
}

/** A tensor as onnxruntime's Tensor constructor takes it. */
export interface TensorPayload {
  readonly type: OrtTensorType;
  readonly dims: readonly number[];
  readonly data: TensorData;
}

export interface RunTask {
  readonly kind: 'run';
  readonly inputs: Record<string, TensorPayload>;
  /** Outputs to fetch, in the order the caller wants them. Never empty: the service fills in "all". */
  readonly outputNames: readonly string[];
}

export interface DescribeTask {
  readonly kind: 'describe';
}

/**
 * Sent once per worker before the pool closes: the worker releases its session (freeing onnxruntime's native
 * memory, which thread termination alone may leave behind). `arrived` is a shared counter the workers wait on
 * until all `workers` have it, so no worker takes two release tasks while another gets none.
 */
export interface ReleaseTask {
  readonly kind: 'release';
  readonly arrived: SharedArrayBuffer;
  readonly workers: number;
}

export type WorkerTask = RunTask | DescribeTask | ReleaseTask;

/** One input or output as the session reports it; shape is [] when onnxruntime does not know it. */
export interface IoMetadata {
  readonly name: string;
  /** onnxruntime's type name, or 'non-tensor' for sequences and maps (which amaas cannot serve). */
  readonly type: string;
  /** -1 marks a dynamic dimension (symbolic or unnamed in the model). */
  readonly shape: readonly number[];
}

export interface SessionDescription {
  readonly inputs: readonly IoMetadata[];
  readonly outputs: readonly IoMetadata[];
  /** The provider the session actually runs on. */
  readonly executionProvider: 'cpu' | 'cuda';
  /** Things the main thread should log, such as a CUDA -> CPU fallback. */
  readonly warnings: readonly string[];
  /**
   * Things clients should see about this version too (ModelVersionStatus.notes), and the main thread logs as
   * warnings, such as a generated warm-up that did not run. Absent when there are none.
   */
  readonly notes?: readonly string[];
}

/** A failure the worker classified itself; anything else thrown in a worker is re-coded by worker-errors.ts. */
export interface WorkerFailure {
  readonly ok: false;
  readonly code: ErrorCode;
  readonly message: string;
}

export type RunReply = { readonly ok: true; readonly outputs: Record<string, TensorPayload> } | WorkerFailure;

export type DescribeReply = { readonly ok: true; readonly description: SessionDescription } | WorkerFailure;
