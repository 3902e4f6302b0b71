/**
 * Runs each job on its own, first come first served. Keeps at most `concurrency` jobs inside the pool (one
 * running and one ready per worker, so a worker never idles for a round trip) and the rest in its own queue,
 * where a deadline or cancellation can still drop them before they cost any compute.
 */
import { AmaasError } from '../errors';
import type { TensorPayload } from '../pool/messages';
import type { SessionPool } from '../pool/session-pool';
import { ownJobInputs } from './job-inputs';
import type { InferenceJob, Scheduler } from './scheduler';

interface Waiting {
  readonly job: InferenceJob;
  readonly resolve: (outputs: Record<string, TensorPayload>) => void;
  readonly reject: (err: unknown) => void;
  readonly onAbort: () => void;
}

export class UnbatchedScheduler implements Scheduler {
  private readonly queue: Waiting[] = [];
  private inPool = 0;
  private stopping = false;
  private idle: (() => void) | null = null;

  constructor(
    private readonly pool: SessionPool,
    private readonly maxQueueSize: number,
    private readonly concurrency = pool.instances * 2,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  get running(): number {
    return this.inPool;
  }

  private copied = 0;

  get bytesCopied(): number {
    return this.copied;
  }

  submit(job: InferenceJob): Promise<Record<string, TensorPayload>> {
    if (this.stopping) {
      return Promise.reject(new AmaasError('AMAAS_ERR_MODEL_UNAVAILABLE', 'this model version is unloading'));
    }
    if (job.signal?.aborted) return Promise.reject(job.signal.reason);
    if (this.queue.length >= this.maxQueueSize) {
      return Promise.reject(
        new AmaasError('AMAAS_ERR_QUEUE_FULL', `the model's queue is full (${this.maxQueueSize} requests waiting); retry later`),
      );
    }
    return new Promise((resolve, reject) => {
      const waiting: Waiting = {
        job,
        resolve,
        reject,
        onAbort: () => {
          const i = this.queue.indexOf(waiting);
          if (i >= 0) {
            this.queue.splice(i, 1);
            reject(job.signal!.reason);
            this.checkIdle();
          }
        },
      };
      job.signal?.addEventListener('abort', waiting.onAbort, { once: true });
      this.queue.push(waiting);
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.inPool < this.concurrency && this.queue.length > 0) {
      const next = this.queue.shift()!;
      next.job.signal?.removeEventListener('abort', next.onAbort);
      this.inPool++;
      next.job.onStart?.();
      let owned;
      try {
        owned = ownJobInputs(next.job.inputs);
      } catch (err) {
        next.reject(err);
        this.inPool--;
        continue;
      }
      this.copied += owned.bytesCopied;
      this.pool
        .run({ kind: 'run', inputs: owned.inputs, outputNames: next.job.outputNames }, owned.transferList)
        .then(next.resolve, next.reject)
        .finally(() => {
          this.inPool--;
          this.dispatch();
          this.checkIdle();
        });
    }
  }

  private checkIdle(): void {
    if (this.idle && this.inPool === 0 && this.queue.length === 0) this.idle();
  }

  stop(): Promise<void> {
    this.stopping = true;
    if (this.inPool === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idle = resolve;
    });
  }
}
