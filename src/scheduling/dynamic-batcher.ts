/**
 * Triton-style dynamic batching for one model version. Waiting requests are grouped by mergeKey (same
 * non-batch dims, datatypes and requested outputs); BatchPolicy says when a group's batch closes; the batch's
 * inputs are concatenated into one session run and its outputs split back per request (batch-assembly.ts).
 * Like UnbatchedScheduler it keeps a bounded queue (RESOURCE_EXHAUSTED beyond it), drops aborted requests
 * and those too late to finish their run (lateForRun) before they reach a worker, and keeps at most
 * 2 x instances batches inside the pool. A batch that could still grow goes to the pool only while some worker
 * has none; until then it keeps growing in the queue.
 * Within a group, the next rows of a batch are taken in fair-queuing order (fair-queue.ts: priority, then
 * weighted turns between tenants), so one batch may mix tenants.
 */
import { performance } from 'node:perf_hooks';
import type { RunTask, TensorPayload } from '../pool/messages';
import { concatInputs, mergeKey, rowsOf, splitOutputs } from './batch-assembly';
import { BatchClosedBy, BatchPolicy, BatchPolicyOptions, Clock, CloseReason, closedBy } from './batch-policy';
import { DrainRate, lateForRun } from './drain-rate';
import { DEFAULT_PRIORITY_AGING_MS, FairQueue } from './fair-queue';
import { ownJobInputs } from './job-inputs';
import type { InferenceJob, JobTenant, Priority, Scheduler } from './scheduler';
import { submitRefusal } from './submit-refusal';
import { IMPLICIT_TENANT, TenantBacklogs, tenantQueueCap } from './tenant-backlogs';

/** The part of SessionPool the batcher uses; unit tests pass a fake. */
export interface BatchRunner {
  readonly instances: number;
  run(task: RunTask, transferList: ArrayBuffer[]): Promise<Record<string, TensorPayload>>;
}

/** One pending wake-up; injected so tests fire it by hand. */
export interface BatchTimer {
  set(callback: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

export interface DynamicBatcherOptions extends BatchPolicyOptions {
  readonly maxQueueSize: number;
  /** Batches inside the pool at once. Default: 2 x instances (one running and one ready per worker). */
  readonly concurrency?: number;
  readonly clock?: Clock;
  /** Ms since the epoch, the clock of job deadlines; Date.now unless a test injects one. */
  readonly wallClock?: Clock;
  readonly timer?: BatchTimer;
  /** Told of every batch as it launches: its rows and why it closed (metrics; scheduling knows no metrics library). */
  readonly onBatch?: (rows: number, closedBy: BatchClosedBy) => void;
  /** Tracing on: makes each batch's span (scheduling knows no tracing library either). */
  readonly traceBatch?: BatchTraceHook;
  /** Fair queuing between tenants and priorities (default); false: first come first served, as one tenant. */
  readonly fair?: boolean;
  /** Waiting this long lifts a request one priority level (fair queuing). Default DEFAULT_PRIORITY_AGING_MS. */
  readonly priorityAgingMs?: number;
  /**
   * Runs a callback once the current event-loop turn's I/O callbacks are done: setImmediate unless a test
   * injects one. A submit launches batches from there (see submit).
   */
  readonly turnEnd?: (callback: () => void) => void;
}

/**
 * Called at launch for a batch with at least one traced member: the traces of those members (InferenceJob.trace),
 * the batch's request and row counts and why it closed. Returns what to call when the run ends.
 */
export type BatchTraceHook = (traces: readonly unknown[], requests: number, rows: number, closedBy: BatchClosedBy) => (failed: boolean) => void;

/** Counters for tests and diagnostics; they only grow. */
export interface BatcherStats {
  /** Session runs (one per batch). */
  batches: number;
  /** Requests those runs answered. */
  requests: number;
  /** Requests that ran merged with at least one other. */
  mergedRequests: number;
  /** Input bytes copied on the way to the workers: one copy per borrowed input byte, merged or alone. */
  bytesCopied: number;
}

interface Waiting {
  readonly job: InferenceJob;
  readonly rows: number;
  /** The rows it counts for (at least 1), in the fair queue and the drain estimate. */
  readonly units: number;
  readonly queuedAt: number;
  /** Its fair-queue lane: the job's tenant and priority, or one shared lane with fairness off. */
  readonly tenant: string;
  readonly weight: number;
  readonly priority: Priority;
  readonly owner: JobTenant;
  readonly group: Group;
  readonly resolve: (outputs: Record<string, TensorPayload>) => void;
  readonly reject: (err: unknown) => void;
  readonly onAbort: () => void;
}

interface Group {
  readonly key: string;
  /** A request that cannot merge runs alone, without waiting for companions. */
  readonly solo: boolean;
  readonly waiting: FairQueue<Waiting>;
}

// Node's timers tick in whole milliseconds; setTimeout treats anything below 1 as 1.
const NODE_TIMER: BatchTimer = {
  set: (callback, delayMs) => setTimeout(callback, Math.ceil(delayMs)),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class DynamicBatcher implements Scheduler {
  readonly stats: BatcherStats = { batches: 0, requests: 0, mergedRequests: 0, bytesCopied: 0 };
  private readonly groups = new Map<string, Group>();
  private readonly policy: BatchPolicy;
  private readonly clock: Clock;
  private readonly wallClock: Clock;
  private readonly timer: BatchTimer;
  /** Service time per batch and rows per batch, for admission by expected wait (rows are the unit of work). */
  readonly drain: DrainRate;
  /** What each tenant has waiting (a request's rows count at least 1). */
  private readonly backlogs = new TenantBacklogs();
  private readonly fair: boolean;
  private readonly agingMs: number;
  private readonly concurrency: number;
  private waitingCount = 0;
  private batchesInPool = 0;
  private requestsInPool = 0;
  private soloCount = 0;
  private wakeUp: unknown = null;
  /** A pump is due at the end of this event-loop turn (submit asked for it). */
  private pumpDue = false;
  private readonly turnEnd: (callback: () => void) => void;
  private stopping = false;
  private idle: (() => void) | null = null;

  constructor(
    private readonly pool: BatchRunner,
    private readonly options: DynamicBatcherOptions,
  ) {
    this.clock = options.clock ?? (() => performance.now());
    this.timer = options.timer ?? NODE_TIMER;
    this.turnEnd = options.turnEnd ?? setImmediate;
    this.concurrency = options.concurrency ?? pool.instances * 2;
    this.policy = new BatchPolicy(options, this.clock);
    this.wallClock = options.wallClock ?? Date.now;
    this.drain = new DrainRate(pool.instances, this.clock);
    this.fair = options.fair ?? true;
    this.agingMs = options.priorityAgingMs ?? DEFAULT_PRIORITY_AGING_MS;
  }

  get queued(): number {
    return this.waitingCount;
  }

  get running(): number {
    return this.requestsInPool;
  }

  get bytesCopied(): number {
    return this.stats.bytesCopied;
  }

  submit(job: InferenceJob): Promise<Record<string, TensorPayload>> {
    const owner = job.tenant ?? IMPLICIT_TENANT;
    const rows = rowsOf(job.inputs) ?? 0;
    const units = Math.max(1, rows);
    const refusal = submitRefusal(job, {
      stopping: this.stopping,
      queued: this.waitingCount,
      maxQueueSize: this.options.maxQueueSize,
      estimate: () => this.drain.estimate(this.backlogs.unitsAhead(owner, units, this.fair)),
      now: this.wallClock(),
      tenant: { name: owner.name, queued: this.backlogs.queued(owner), cap: tenantQueueCap(owner, this.options.maxQueueSize) },
    });
    if (refusal) return Promise.reject(refusal);
    return new Promise((resolve, reject) => {
      const key = mergeKey(job.inputs, job.outputNames);
      const group = this.groupFor(key);
      const waiting: Waiting = {
        job,
        rows,
        units,
        queuedAt: this.clock(),
        tenant: this.fair ? owner.name : '',
        weight: this.fair ? owner.weight : 1,
        priority: this.fair ? owner.priority : 'normal',
        owner,
        group,
        resolve,
        reject,
        onAbort: () => {
          if (this.remove(waiting)) {
            reject(job.signal!.reason);
            this.pump();
            this.checkIdle();
          }
        },
      };
      job.signal?.addEventListener('abort', waiting.onAbort, { once: true });
      group.waiting.push(waiting);
      this.waitingCount++;
      this.backlogs.add(owner, units);
      this.pumpAtTurnEnd();
    });
  }

  /**
   * Requests that arrive together (one socket read holds many calls, or many items of one stream) are decoded
   * and submitted one by one in the same event-loop turn. Pumping at once would send the first alone to an idle
   * worker and make the rest wait for it; pumping at the turn's end merges them. Measured on the development
   * VM: batches of one row fell from 32 % to 2 % of a BatchPredict stream's batches (BENCHMARKS.md).
   */
  private pumpAtTurnEnd(): void {
    if (this.pumpDue) return;
    this.pumpDue = true;
    this.turnEnd(() => {
      this.pumpDue = false;
      this.pump();
    });
  }

  private groupFor(key: string | null): Group {
    const existing = key === null ? undefined : this.groups.get(key);
    if (existing) return existing;
    const group: Group = { key: key ?? `solo#${this.soloCount++}`, solo: key === null, waiting: new FairQueue({ agingMs: this.agingMs }) };
    this.groups.set(group.key, group);
    return group;
  }

  /** Takes a queued request out (it was aborted); false when it already left the queue. */
  private remove(w: Waiting): boolean {
    if (!w.group.waiting.remove(w)) return false;
    if (w.group.waiting.size === 0) this.groups.delete(w.group.key);
    this.waitingCount--;
    this.backlogs.remove(w.owner, w.units);
    return true;
  }

  /**
   * Starts every batch the policy closes while the pool has room, oldest group first (so no group starves),
   * each filled in its group's fair order, then sets one wake-up for the earliest delay still running. With the pool full no wake-up is needed:
   * a finishing batch pumps again, and by then more requests may have joined.
   */
  private pump(): void {
    if (this.wakeUp !== null) {
      this.timer.clear(this.wakeUp);
      this.wakeUp = null;
    }
    while (this.batchesInPool < this.concurrency && this.waitingCount > 0) {
      let next: { group: Group; take: number; reason: CloseReason; oldestAt: number } | null = null;
      let earliest = Number.POSITIVE_INFINITY;
      const now = this.clock();
      for (const group of this.groups.values()) {
        const oldestAt = group.waiting.oldestQueuedAt();
        // The policy sees the rows in the order they would be taken, just past one batch's worth.
        const decision = this.policy.decide(
          group.waiting.peek(this.options.maxBatchSize, now).map((w) => w.rows),
          oldestAt,
          this.stopping || group.solo,
        );
        if (!decision.close) earliest = Math.min(earliest, decision.readyAt);
        // A batch that could still grow waits while every worker already has one: it would only queue behind
        // them, and a finishing batch pumps again. Full, preferred and flushed batches go at once.
        else if (decision.reason === 'delay' && this.batchesInPool >= this.pool.instances) continue;
        else if (!next || oldestAt < next.oldestAt) next = { group, take: decision.take, reason: decision.reason, oldestAt };
      }
      if (!next) {
        if (Number.isFinite(earliest)) {
          this.wakeUp = this.timer.set(() => {
            this.wakeUp = null;
            this.pump();
          }, Math.max(0, earliest - this.clock()));
        }
        return;
      }
      this.launch(next.group, next.take, next.reason, now);
    }
  }

  private launch(group: Group, take: number, reason: CloseReason, now: number): void {
    const taken = group.waiting.take(take, now);
    if (group.waiting.size === 0) this.groups.delete(group.key);
    this.waitingCount -= taken.length;
    for (const m of taken) {
      this.backlogs.remove(m.owner, m.units);
      m.job.signal?.removeEventListener('abort', m.onAbort);
    }
    const members = this.withoutLate(taken);
    if (members.length === 0) {
      this.checkIdle();
      return;
    }
    let rows = 0;
    for (const m of members) rows += m.units;
    // Queue time ends here for every member (ModelStatistics).
    for (const m of members) m.job.onStart?.();
    this.batchesInPool++;
    this.requestsInPool += members.length;
    this.stats.batches++;
    this.stats.requests += members.length;
    if (members.length > 1) this.stats.mergedRequests += members.length;
    this.options.onBatch?.(rows, closedBy(reason, this.options.maxQueueDelayMicroseconds));
    const traced = this.options.traceBatch ? this.traceBatch(this.options.traceBatch, members, rows, reason) : undefined;
    const run = this.drain.started(rows);
    this.runBatch(members)
      .then(
        (results) => {
          traced?.(false);
          this.drain.finished(run, true);
          members.forEach((m, i) => m.resolve(results[i]));
        },
        // One failure of the merged run is every member's failure.
        (err) => {
          traced?.(true);
          this.drain.finished(run, false);
          members.forEach((m) => m.reject(err));
        },
      )
      .finally(() => {
        this.batchesInPool--;
        this.requestsInPool -= members.length;
        this.pump();
        this.checkIdle();
      });
  }

  /** The batch's span, when some member is traced (one with none gets no span). */
  private traceBatch(hook: BatchTraceHook, members: readonly Waiting[], rows: number, reason: CloseReason): ((failed: boolean) => void) | undefined {
    const traces: unknown[] = [];
    for (const m of members) if (m.job.trace !== undefined) traces.push(m.job.trace);
    return traces.length === 0 ? undefined : hook(traces, members.length, rows, closedBy(reason, this.options.maxQueueDelayMicroseconds));
  }

  private async runBatch(members: readonly Waiting[]): Promise<Record<string, TensorPayload>[]> {
    const outputNames = members[0].job.outputNames;
    if (members.length === 1) {
      // Alone: the request's inputs get their one copy here (none if they already own their buffers).
      const owned = ownJobInputs(members[0].job.inputs);
      this.stats.bytesCopied += owned.bytesCopied;
      return [await this.pool.run({ kind: 'run', inputs: owned.inputs, outputNames }, owned.transferList)];
    }
    const batch = concatInputs(members.map((m) => m.job.inputs));
    this.stats.bytesCopied += batch.bytesCopied;
    const outputs = await this.pool.run({ kind: 'run', inputs: batch.inputs, outputNames }, batch.transferList);
    return splitOutputs(
      outputs,
      members.map((m) => m.rows),
    );
  }

  /**
   * Answers DEADLINE_EXCEEDED, without a run, the members whose deadline would pass during it (lateForRun).
   * Returns `taken` itself when none is late, so a batch without deadlines costs no copy.
   */
  private withoutLate(taken: Waiting[]): Waiting[] {
    const estimate = this.drain.estimate(0);
    if (estimate === null) return taken;
    const wall = this.wallClock();
    let kept: Waiting[] | null = null;
    for (let i = 0; i < taken.length; i++) {
      const late = lateForRun(estimate, taken[i].job.deadline, wall);
      if (late) {
        kept ??= taken.slice(0, i);
        taken[i].reject(late);
      } else kept?.push(taken[i]);
    }
    return kept ?? taken;
  }

  private checkIdle(): void {
    if (this.idle && this.requestsInPool === 0 && this.waitingCount === 0) this.idle();
  }

  /** Refuses new requests, runs every queued one without waiting out delays, and resolves when all are answered. */
  stop(): Promise<void> {
    this.stopping = true;
    this.pump();
    if (this.requestsInPool === 0 && this.waitingCount === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idle = resolve;
    });
  }
}
