/**
 * Runs each job on its own, in fair-queuing order (fair-queue.ts: priority, then weighted turns between tenants,
 * each job counting one unit; first come first served with one tenant or fairness off). Keeps at most `concurrency` jobs inside the pool (one
 * running and one ready per worker, so a worker never idles for a round trip) and the rest in its own queue,
 * where a deadline or cancellation can still drop them before they cost any compute. A job whose deadline would
 * pass during its run is answered DEADLINE_EXCEEDED instead of being handed over (drain-rate.ts lateForRun).
 */
import { performance } from 'node:perf_hooks';
import type { TensorPayload } from '../pool/messages';
import type { SessionPool } from '../pool/session-pool';
import type { Clock } from './batch-policy';
import { DrainRate, lateForRun } from './drain-rate';
import { DEFAULT_PRIORITY_AGING_MS, FairQueue } from './fair-queue';
import { ownJobInputs } from './job-inputs';
import type { InferenceJob, JobTenant, Priority, Scheduler } from './scheduler';
import { submitRefusal } from './submit-refusal';
import { IMPLICIT_TENANT, TenantBacklogs, tenantQueueCap } from './tenant-backlogs';

interface Waiting {
  readonly job: InferenceJob;
  readonly tenant: string;
  readonly weight: number;
  readonly priority: Priority;
  readonly units: 1;
  readonly queuedAt: number;
  readonly owner: JobTenant;
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
  /** Fair queuing between tenants and priorities (default); false: first come first served, as one tenant. */
  readonly fair?: boolean;
  /** Waiting this long lifts a job one priority level. Default DEFAULT_PRIORITY_AGING_MS. */
  readonly priorityAgingMs?: number;
}

export class UnbatchedScheduler implements Scheduler {
  private readonly queue: FairQueue<Waiting>;
  private readonly backlogs = new TenantBacklogs();
  private readonly fair: boolean;
  private readonly clock: Clock;
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
    this.clock = options.clock ?? (() => performance.now());
    this.drain = new DrainRate(pool.instances, this.clock);
    this.fair = options.fair ?? true;
    this.queue = new FairQueue({ agingMs: options.priorityAgingMs ?? DEFAULT_PRIORITY_AGING_MS });
  }

  get queued(): number {
    return this.queue.size;
  }

  get running(): number {
    return this.inPool;
  }

  private copied = 0;

  get bytesCopied(): number {
    return this.copied;
  }

  submit(job: InferenceJob): Promise<Record<string, TensorPayload>> {
    const owner = job.tenant ?? IMPLICIT_TENANT;
    const refusal = submitRefusal(job, {
      stopping: this.stopping,
      queued: this.queue.size,
      maxQueueSize: this.maxQueueSize,
      estimate: () => this.drain.estimate(this.backlogs.unitsAhead(owner, 1, this.fair)),
      now: this.wallClock(),
      tenant: { name: owner.name, queued: this.backlogs.queued(owner), cap: tenantQueueCap(owner, this.maxQueueSize) },
    });
    if (refusal) return Promise.reject(refusal);
    return new Promise((resolve, reject) => {
      const waiting: Waiting = {
        job,
        tenant: this.fair ? owner.name : '',
        weight: this.fair ? owner.weight : 1,
        priority: this.fair ? owner.priority : 'normal',
        units: 1,
        queuedAt: this.clock(),
        owner,
        resolve,
        reject,
        onAbort: () => {
          if (this.queue.remove(waiting)) {
            this.backlogs.remove(owner, 1);
            reject(job.signal!.reason);
            this.checkIdle();
          }
        },
      };
      job.signal?.addEventListener('abort', waiting.onAbort, { once: true });
      this.queue.push(waiting);
      this.backlogs.add(owner, 1);
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.inPool < this.concurrency && this.queue.size > 0) {
      const [next] = this.queue.take(1, this.clock());
      this.backlogs.remove(next.owner, 1);
      next.job.signal?.removeEventListener('abort', next.onAbort);
      const late = lateForRun(this.drain.estimate(0), next.job.deadline, this.wallClock());
      if (late) {
        next.reject(late);
        this.checkIdle();
        continue;
      }
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
    if (this.idle && this.inPool === 0 && this.queue.size === 0) this.idle();
  }

  stop(): Promise<void> {
    this.stopping = true;
    if (this.inPool === 0 && this.queue.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idle = resolve;
    });
  }
}
