/**
 * Why a scheduler must refuse a job at submit, before it takes a queue slot: the version is unloading, the
 * caller already gave up, the version's queue or the tenant's share of it is full, or the expected wait would
 * pass the job's deadline. Both schedulers ask this one function, so their admission rules cannot drift apart.
 */
import { AmaasError, RetryHint } from '../errors';
import { DrainEstimate, admissionError } from './drain-rate';
import type { InferenceJob } from './scheduler';

export interface QueueState {
  readonly stopping: boolean;
  readonly queued: number;
  readonly maxQueueSize: number;
  /** The expected wait for a new job; only asked for when the cheaper checks pass. */
  readonly estimate: () => DrainEstimate | null;
  /** Ms since the epoch, the clock of job deadlines. */
  readonly now: number;
  /** The job's tenant: its name, the jobs it already has queued here and its cap (tenant-backlogs.ts). */
  readonly tenant?: { readonly name: string; readonly queued: number; readonly cap: number };
}

/** A full queue frees a slot when a run ends: about one run's time (10 ms before the first run has ended). */
function queueFullRetry(q: QueueState): RetryHint {
  return { delayMs: Math.max(1, Math.ceil(q.estimate()?.serviceMs ?? 10)) };
}

/** The error to reject the job with, or null to queue it. */
export function submitRefusal(job: InferenceJob, q: QueueState): unknown {
  if (q.stopping) return new AmaasError('AMAAS_ERR_MODEL_UNAVAILABLE', 'this model version is unloading');
  if (job.signal?.aborted) return job.signal.reason;
  if (q.queued >= q.maxQueueSize) {
    return new AmaasError('AMAAS_ERR_QUEUE_FULL', `the model's queue is full (${q.maxQueueSize} requests waiting); retry later`, { retry: queueFullRetry(q) });
  }
  if (q.tenant && q.tenant.queued >= q.tenant.cap) {
    return new AmaasError(
      'AMAAS_ERR_QUEUE_FULL',
      `tenant '${q.tenant.name}' already has ${q.tenant.cap} requests waiting for this model version (its queue limit); retry later`,
      { retry: queueFullRetry(q) },
    );
  }
  return admissionError(q.estimate(), job.deadline, q.now);
}
