/**
 * When to close a batch, and nothing else: no queues, timers or tensors. It sees the row counts of one group of
 * compatible waiting requests (oldest first) and the time, read from an injected clock, so tests drive time
 * by hand. The rules are Triton's dynamic_batching rules:
 *   - full: the waiting rows reach max_batch_size, or the next request would not fit -> run what fits now;
 *   - preferred: some prefix of the queue sums to a preferred batch size -> run the largest such prefix now;
 *   - delay: the oldest request has waited max_queue_delay_microseconds -> run everything that fits;
 *   - otherwise wait until the oldest request's delay runs out.
 */

/** Milliseconds from a fixed origin; performance.now in production, a number a test moves in tests. */
export type Clock = () => number;

export interface BatchPolicyOptions {
  /** Most rows in one batch (> 0). */
  readonly maxBatchSize: number;
  readonly maxQueueDelayMicroseconds: number;
  /** Row counts worth running without waiting out the delay; may be empty. */
  readonly preferredBatchSizes: readonly number[];
}

export type CloseReason = 'full' | 'preferred' | 'delay' | 'flush';

/**
 * Why a batch launched, in the three words operators read (amaas_batches_total's closed_by): full (it reached
 * max_batch_size or a preferred size), delay (its oldest request waited out max_queue_delay_microseconds), idle
 * (it went as soon as a worker was free: no delay is configured, the request cannot merge, or the version drains).
 */
export type BatchClosedBy = 'full' | 'delay' | 'idle';

export function closedBy(reason: CloseReason, maxQueueDelayMicroseconds: number): BatchClosedBy {
  if (reason === 'full' || reason === 'preferred') return 'full';
  // With no delay configured a 'delay' decision is immediate: the batch waited for a worker, not for companions.
  return reason === 'delay' && maxQueueDelayMicroseconds > 0 ? 'delay' : 'idle';
}

export type BatchDecision =
  /** Run the first `take` requests (holding `rows` rows) as one batch. */
  | { readonly close: true; readonly take: number; readonly rows: number; readonly reason: CloseReason }
  /** Nothing to run yet; ask again at `readyAt` (clock time) at the latest. */
  | { readonly close: false; readonly readyAt: number };

export class BatchPolicy {
  private readonly preferred: ReadonlySet<number>;
  private readonly delayMs: number;

  constructor(
    private readonly options: BatchPolicyOptions,
    private readonly clock: Clock,
  ) {
    if (!(options.maxBatchSize > 0)) throw new RangeError('a batch policy needs maxBatchSize above 0');
    this.preferred = new Set(options.preferredBatchSizes);
    this.delayMs = options.maxQueueDelayMicroseconds / 1000;
  }

  /**
   * `rows`: one group's waiting requests, oldest first. `oldestAt`: clock time the oldest was queued.
   * `flush`: close whatever fits regardless of the delay (the scheduler is stopping, or the group cannot merge).
   */
  decide(rows: readonly number[], oldestAt: number, flush = false): BatchDecision {
    if (rows.length === 0) return { close: false, readyAt: Number.POSITIVE_INFINITY };
    const max = this.options.maxBatchSize;
    let take = 0;
    let sum = 0;
    let preferredTake = 0;
    let preferredRows = 0;
    for (const r of rows) {
      // A request larger than the batch (validation normally refuses those) still runs, alone.
      if (take > 0 && sum + r > max) break;
      take++;
      sum += r;
      if (this.preferred.has(sum)) {
        preferredTake = take;
        preferredRows = sum;
      }
      if (sum >= max) break;
    }
    if (sum >= max || take < rows.length) return { close: true, take, rows: sum, reason: 'full' };
    if (preferredTake > 0) return { close: true, take: preferredTake, rows: preferredRows, reason: 'preferred' };
    if (flush) return { close: true, take, rows: sum, reason: 'flush' };
    const readyAt = oldestAt + this.delayMs;
    if (this.clock() >= readyAt) return { close: true, take, rows: sum, reason: 'delay' };
    return { close: false, readyAt };
  }
}
