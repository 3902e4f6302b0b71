/**
 * The seam between the service and a model version's pool. A scheduler decides *when* work reaches the
 * workers (one request at a time, or merged into batches) and owns the version's queue, so admission
 * control and cancellation live here, before anything is handed to Piscina.
 */
import type { OrtTensorType } from '../codec/dtypes';
import type { InputData } from '../codec/tensor-codec';
import type { TensorPayload } from '../pool/messages';
import type { Cancellation } from './cancellation';

/** One input of a job: a TensorPayload whose raw bytes may still be borrowed from the receive buffer. */
export interface JobInput {
  readonly type: OrtTensorType;
  readonly dims: readonly number[];
  readonly data: InputData;
}

/** Within a tenant's share, higher priority is served first; aging lifts a waiting job so low never starves. */
export type Priority = 'high' | 'normal' | 'low';

/** Who a job is for, as the fair scheduler sees it (filled by the service from the caller's identity). */
export interface JobTenant {
  readonly name: string;
  /** Share of a contended version, in rows, relative to the other tenants queued there. */
  readonly weight: number;
  readonly priority: Priority;
  /** This tenant's own cap on queued jobs per version (besides the version's max_queue_size); unset: none. */
  readonly maxQueued?: number;
}

export interface InferenceJob {
  /** Borrowed bytes are copied exactly once, by the scheduler, into buffers that then move to the worker. */
  readonly inputs: Record<string, JobInput>;
  readonly outputNames: readonly string[];
  /** Aborting removes a queued job (rejecting with the signal's reason); a running job is left to finish. */
  readonly signal?: Cancellation;
  /**
   * When the server must have answered, in ms since the epoch (Date.now's clock): the call's deadline less
   * deadline_margin_ms. A job whose expected queue wait and run would pass it is refused at once with
   * AMAAS_ERR_OVERLOADED (drain-rate.ts); the signal aborts a queued job at this time. Unset: none.
   */
  readonly deadline?: number;
  /** Called when the job leaves the queue for a worker: ends its queue time, starts its compute time. */
  readonly onStart?: () => void;
  /**
   * The request's trace (tracing on and the request sampled), opaque here: a batching scheduler hands the traces
   * of a batch's members to its batch hook (DynamicBatcherOptions.traceBatch), which links the batch to them.
   */
  readonly trace?: unknown;
  /** Absent: the one implicit tenant (no auth, or an in-process caller). */
  readonly tenant?: JobTenant;
}

export interface Scheduler {
  /**
   * Queues a job; rejects at once with AMAAS_ERR_QUEUE_FULL when the queue is full, and with
   * AMAAS_ERR_OVERLOADED when the work ahead of it would outlast its deadline (AMAAS_ERR_DEADLINE_EXCEEDED when that has passed).
   */
  submit(job: InferenceJob): Promise<Record<string, TensorPayload>>;
  /** Jobs waiting for a worker. */
  readonly queued: number;
  /** Jobs handed to workers and not yet answered. */
  readonly running: number;
  /** Input bytes this scheduler has copied so far (the data path's one copy); for tests and diagnostics. */
  readonly bytesCopied: number;
  /** Refuses new jobs, then resolves once every queued and running job has been answered. */
  stop(): Promise<void>;
}
