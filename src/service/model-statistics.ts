/**
 * Cumulative inference statistics per model version, as Triton's ModelStatistics reports them: successes and
 * failures with their total durations, and the split of successful requests into queue and compute time.
 * Response cache hits count as successes, in queue (at zero, or the wait for an identical request's run) and
 * in cache_hit, never in inference_count, execution_count or compute (Triton's meanings).
 * Counters only grow; durations are nanoseconds as bigint so they never lose precision.
 */

export interface DurationStat {
  count: bigint;
  ns: bigint;
}

export interface VersionStatistics {
  readonly model: string;
  readonly version: number;
  /** Milliseconds since the epoch of the last request that reached the version; 0 before any. */
  lastInferenceMs: number;
  /** Successful inferences, counting every row of a batched request; not cache hits. */
  inferenceCount: bigint;
  /** Successful requests that ran (not cache hits). Triton counts merged batches here; amaas counts requests, even when the batcher merged them. */
  executionCount: bigint;
  readonly success: DurationStat;
  readonly fail: DurationStat;
  readonly queue: DurationStat;
  readonly computeInfer: DurationStat;
  /** Successful requests answered by the response cache: the lookup (and for a waiter, not its wait). */
  readonly cacheHit: DurationStat;
  /** Successful requests the response cache did not hold: the lookup plus storing the answer, not the run. */
  readonly cacheMiss: DurationStat;
}

/** What one finished request contributes. Durations in nanoseconds; queue/compute only when it ran. */
export interface RequestOutcome {
  readonly ok: boolean;
  readonly batchSize: number;
  readonly totalNs: bigint;
  readonly queueNs?: bigint;
  readonly computeNs?: bigint;
  /** Successful requests of a model with response_cache: hit or miss, and the cache's own time. */
  readonly cache?: { readonly hit: boolean; readonly ns: bigint };
}

const zero = (): DurationStat => ({ count: 0n, ns: 0n });

function add(stat: DurationStat, ns: bigint): void {
  stat.count += 1n;
  stat.ns += ns;
}

export class ModelStatistics {
  private readonly byVersion = new Map<string, VersionStatistics>();

  record(model: string, version: number, outcome: RequestOutcome): void {
    const s = this.entry(model, version);
    s.lastInferenceMs = Date.now();
    if (outcome.ok) {
      add(s.success, outcome.totalNs);
      if (outcome.cache) add(outcome.cache.hit ? s.cacheHit : s.cacheMiss, outcome.cache.ns);
      if (!outcome.cache?.hit) {
        s.inferenceCount += BigInt(outcome.batchSize);
        s.executionCount += 1n;
      }
    } else {
      add(s.fail, outcome.totalNs);
    }
    if (outcome.queueNs !== undefined) add(s.queue, outcome.queueNs);
    if (outcome.computeNs !== undefined) add(s.computeInfer, outcome.computeNs);
  }

  /** The version's statistics; all zero when it has served nothing yet. */
  get(model: string, version: number): VersionStatistics {
    return this.byVersion.get(`${model}\u0000${version}`) ?? this.fresh(model, version);
  }

  private entry(model: string, version: number): VersionStatistics {
    const key = `${model}\u0000${version}`;
    let s = this.byVersion.get(key);
    if (!s) {
      s = this.fresh(model, version);
      this.byVersion.set(key, s);
    }
    return s;
  }

  private fresh(model: string, version: number): VersionStatistics {
    return {
      model,
      version,
      lastInferenceMs: 0,
      inferenceCount: 0n,
      executionCount: 0n,
      success: zero(),
      fail: zero(),
      queue: zero(),
      computeInfer: zero(),
      cacheHit: zero(),
      cacheMiss: zero(),
    };
  }
}
