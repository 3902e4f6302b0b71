/**
 * How fast a scheduler drains its work, for deadline-aware admission: a cheap running estimate, O(1) per
 * run and per question, read from an injected clock so tests drive time by hand.
 *
 * A scheduler reports each run it hands to the pool (one job, or one merged batch of `units` rows) and each
 * run that finishes. The pool has `workers` workers and a first-in, first-out queue (Piscina's), so a run
 * starts when it is handed over if a worker is free, and otherwise when the next run finishes; its service
 * time is its finish minus that start. Two EWMAs follow the service time per run and the units per run; their
 * ratio, spread over the workers, is the drain rate.
 *
 * The expected wait of a new run is the work ahead of it divided by the drain rate: the units still queued
 * in the scheduler, plus those handed to the pool and waiting for a worker, plus half of those running (on
 * average half done). With a worker free and nothing ahead it is 0. Before the first run finishes there is
 * no estimate (null), and admission lets everything in.
 */
import { AmaasError } from '../errors';
import type { Clock } from './batch-policy';

/** Weight of the newest sample in both EWMAs: about the last 10 runs count. */
const DEFAULT_ALPHA = 0.2;

export interface DrainEstimate {
  /** Expected ms until a new run starts on a worker. */
  readonly waitMs: number;
  /** Expected ms of one run on a worker (the mean, merged batches included). */
  readonly serviceMs: number;
}

/** One run handed to the pool; give it back to finished(). */
export interface DrainRun {
  readonly units: number;
  /** Clock time it got a worker; null while it waits in the pool's queue. */
  startedAt: number | null;
}

export class DrainRate {
  private meanServiceMs = 0;
  private meanUnits = 0;
  private samples = 0;
  /** Runs handed to the pool and waiting for a worker, oldest first (at most the scheduler's concurrency). */
  private readonly waiting: DrainRun[] = [];
  private waitingUnits = 0;
  private runningRuns = 0;
  private runningUnits = 0;

  constructor(
    private readonly workers: number,
    private readonly clock: Clock,
    private readonly alpha = DEFAULT_ALPHA,
  ) {
    if (!(workers >= 1)) throw new RangeError('a drain rate needs at least one worker');
    if (!(alpha > 0 && alpha <= 1)) throw new RangeError('alpha must be in (0, 1]');
  }

  /** Service-time samples taken so far (finished, successful runs). */
  get sampleCount(): number {
    return this.samples;
  }

  /** Units drained per ms with every worker busy; null before the first sample. */
  get unitsPerMs(): number | null {
    return this.samples === 0 ? null : (this.workers * this.meanUnits) / this.meanServiceMs;
  }

  /** A run of `units` (>= 1) was handed to the pool now. */
  started(units: number): DrainRun {
    const run: DrainRun = { units, startedAt: null };
    if (this.runningRuns < this.workers) this.begin(run, this.clock());
    else {
      this.waiting.push(run);
      this.waitingUnits += units;
    }
    return run;
  }

  /** The run finished now; `ok` false (a failure) frees its worker but is not a service-time sample. */
  finished(run: DrainRun, ok: boolean): void {
    const now = this.clock();
    if (run.startedAt === null) {
      // The pool ran it on a worker this model thought busy; it no longer waits.
      const i = this.waiting.indexOf(run);
      if (i >= 0) {
        this.waiting.splice(i, 1);
        this.waitingUnits -= run.units;
      }
      return;
    }
    this.runningRuns--;
    this.runningUnits -= run.units;
    if (ok) this.sample(run.units, now - run.startedAt);
    const next = this.waiting.shift();
    if (next) {
      this.waitingUnits -= next.units;
      this.begin(next, now);
    }
  }

  /**
   * Expected wait and service time of a new run, with `queuedUnits` units still queued ahead of it in the
   * scheduler (not yet handed to the pool); null until a run has finished.
   */
  estimate(queuedUnits: number): DrainEstimate | null {
    if (this.samples === 0) return null;
    const idleWorker = this.runningRuns < this.workers && this.waiting.length === 0 && queuedUnits === 0;
    const ahead = queuedUnits + this.waitingUnits + this.runningUnits / 2;
    const msPerUnit = this.meanServiceMs / this.meanUnits / this.workers;
    return { waitMs: idleWorker ? 0 : ahead * msPerUnit, serviceMs: this.meanServiceMs };
  }

  private begin(run: DrainRun, now: number): void {
    run.startedAt = now;
    this.runningRuns++;
    this.runningUnits += run.units;
  }

  private sample(units: number, ms: number): void {
    const t = Math.max(0, ms);
    if (this.samples === 0) {
      this.meanServiceMs = t;
      this.meanUnits = units;
    } else {
      this.meanServiceMs += this.alpha * (t - this.meanServiceMs);
      this.meanUnits += this.alpha * (units - this.meanUnits);
    }
    // A run measured at 0 ms (a coarse clock) would make the rate infinite; a microsecond floor keeps it finite.
    this.meanServiceMs = Math.max(this.meanServiceMs, 0.001);
    this.samples++;
  }
}

/**
 * Deadline-aware admission: null when a job may queue, else the error to reject it with at once: AMAAS_ERR_OVERLOADED
 * (with a retry hint) while the deadline is ahead, AMAAS_ERR_DEADLINE_EXCEEDED once it has passed. `deadline` is when the server must have answered (ms since the epoch; the call's deadline less
 * deadline_margin_ms); undefined = no deadline, always admitted. A deadline already passed is refused even
 * without an estimate; otherwise no estimate (cold start) admits.
 */
export function admissionError(estimate: DrainEstimate | null, deadline: number | undefined, now: number): AmaasError | null {
  if (deadline === undefined) return null;
  const left = deadline - now;
  if (left > 0 && estimate === null) return null;
  const expected = estimate ? estimate.waitMs + estimate.serviceMs : 0;
  if (left > 0 && expected <= left) return null;
  const parts = estimate ? ` (${ms(estimate.waitMs)} ms queued ahead + ${ms(estimate.serviceMs)} ms to run)` : '';
  // A deadline already passed is one; otherwise it is load (RESOURCE_EXHAUSTED), retried once the queue ahead shrank by the excess.
  return new AmaasError(
    left > 0 ? 'AMAAS_ERR_OVERLOADED' : 'AMAAS_ERR_DEADLINE_EXCEEDED',
    `the request cannot be answered before its deadline: expected wait ${ms(expected)} ms, deadline in ${ms(Math.max(0, left))} ms${parts}`,
    left > 0 ? { retry: { delayMs: Math.max(1, Math.ceil(expected - left)) } } : undefined,
  );
}

/**
 * The launch-time twin of admissionError: null when a job about to be handed to the pool can still finish before
 * its deadline, else AMAAS_ERR_DEADLINE_EXCEEDED. `estimate` is the pool's now (estimate(0)): the wait for the runs
 * already handed over, then one run. A job admitted with time to spare can use it up in the queue (fair turns,
 * runs slower than the estimate); running it anyway would spend a worker's run on an answer that comes too late,
 * and its caller's own timer would cancel it, one RST_STREAM each, which in a storm closes the whole connection
 * (HTTP/2 rapid-reset protection). No deadline or no estimate (cold start): it runs.
 */
export function lateForRun(estimate: DrainEstimate | null, deadline: number | undefined, now: number): AmaasError | null {
  if (deadline === undefined || estimate === null) return null;
  const left = deadline - now;
  const needed = estimate.waitMs + estimate.serviceMs;
  if (left >= needed) return null;
  return new AmaasError(
    'AMAAS_ERR_DEADLINE_EXCEEDED',
    `the call's deadline would pass before its run finished: ${ms(Math.max(0, left))} ms left, a run takes about ${ms(needed)} ms here now`,
  );
}

function ms(v: number): string {
  return v >= 100 ? String(Math.round(v)) : v.toFixed(1);
}
