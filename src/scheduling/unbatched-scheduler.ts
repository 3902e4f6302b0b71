/**
 * Runs each job on its own, first come first served. Keeps at most `concurrency` jobs inside the pool (one
 * running and one ready per worker, so a worker never idles for a round trip) and the rest in its own queue,
 * where a deadline or cancellation can still drop them before they cost any compute.
 */
import { performance } from 'node:perf_hooks';
import type { TensorPayload } from '../pool/messages';
import type { SessionPool } from '../pool/session-pool';
import type { Clock } from './batch-policy';
import { DrainRate } from './drain-rate';
import { ownJobInputs } from './job-inputs';
import type { InferenceJob, Scheduler } from './scheduler';
import { submitRefusal } from './submit-refusal';

interface Waiting {
  readonly job: InferenceJob;
  readonly resolve: (outputs: Record<string, TensorPayload>) => void;
  readonly reject: (err: unknown) => void;
  readonly onAbort: () => void;
}

export interface UnbatchedSchedulerOptions {
  /** Jobs inside the pool at once. Default: 2 x instances (one running and one ready per worker). */
  readonly concurrency?: number;
  /** Monotonic ms for service times; performance.now unless a test injects one. */
  readonly clock?: Clock;
  /** Ms since the epoch, the clock of job deadlines; Date.now unless a test injects one. */
  readonly wallClock?: Clock;
}

export class UnbatchedScheduler implements Scheduler {
  private readonly queue: Waiting[] = [];
  private inPool = 0;
  private stopping = false;
  private idle: (() => void) | null = null;
  private readonly concurrency: number;
  private readonly wallClock: Clock;
  /** Service time per job, for admission by expected wait. */
  readonly drain: DrainRate;

  constructor(
    private readonly pool: Pick<SessionPool, 'instances' | 'run'>,
    private readonly maxQueueSize: number,
    options: UnbatchedSchedulerOptions = {},
  ) {
    this.concurrency = options.concurrency ?? pool.instances * 2;
    this.wallClock = options.wallClock ?? Date.now;
    this.drain = new DrainRate(pool.instances, options.clock ?? (() => performance.now()));
  }

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
    const refusal = submitRefusal(job, {
      stopping: this.stopping,
      queued: this.queue.length,
      maxQueueSize: this.maxQueueSize,
      estimate: () => this.drain.estimate(this.queue.length),
      now: this.wallClock(),
    });
    if (refusal) return Promise.reject(refusal);
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
      const run = this.drain.started(1);
      this.pool
        .run({ kind: 'run', inputs: owned.inputs, outputNames: next.job.outputNames }, owned.transferList)
        .then(
          (outputs) => {
            this.drain.finished(run, true);
            next.resolve(outputs);
          },
          (err) => {
            this.drain.finished(run, false);
            next.reject(err);
          },
        )
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
