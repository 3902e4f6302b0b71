/**
 * One model's response cache: answers by key, least recently used evicted first once max_bytes is reached
 * (lru-cache, sized by each entry's bytes), and single flight: while a request runs, identical requests wait
 * for its answer instead of running too.
 *
 * When the running request fails, no entry is made. Its waiters get the same error, except when the error was
 * that request's own fate: its client cancelled (AMAAS_ERR_CANCELLED) or its deadline passed
 * (AMAAS_ERR_DEADLINE_EXCEEDED). Those say nothing about the waiters' requests, so they try again, and the
 * first of them to get there runs in its place. A waiter whose own call is cancelled or runs out of time stops
 * waiting with its own error.
 */
import { LRUCache } from 'lru-cache';
import type { Tensor } from '../codec/tensor-codec';
import { toAmaasError } from '../errors';
import type { ServingVersion } from '../repository/model-version';
import type { Cancellation } from '../scheduling/cancellation';
import { CachedResponse, cachedResponse } from './cached-response';

/** How a request was answered, for ModelStatistics' cache_hit / cache_miss (Triton's meanings). */
export interface CacheOutcome {
  /** From the cache, or from a identical request's run it waited for: no queue, no worker. */
  readonly hit: boolean;
  /** Hit: the lookup. Miss: the lookup plus storing the answer. Never the run itself. */
  readonly ns: bigint;
  /** A hit that waited for another request's run: how long (counted as queue time). */
  readonly waitNs?: bigint;
}

export interface Served {
  readonly outputs: readonly Tensor[];
  readonly cache: CacheOutcome;
}

interface Flight {
  readonly owner: ServingVersion;
  readonly run: Promise<readonly Tensor[]>;
}

/** The leader's failure belongs to its own call: waiters run again instead of sharing it. */
const OWN_FATE = new Set(['AMAAS_ERR_CANCELLED', 'AMAAS_ERR_DEADLINE_EXCEEDED']);

const now = () => process.hrtime.bigint();

export class ModelCache {
  private readonly lru: LRUCache<string, CachedResponse>;
  private readonly flights = new Map<string, Flight>();
  /** Version instances that unloaded: what they still compute is not stored. */
  private readonly closed = new WeakSet<ServingVersion>();

  constructor(
    readonly model: string,
    readonly maxBytes: number,
    /** An entry was evicted to make room (metrics). */
    onEvict: () => void = () => {},
  ) {
    this.lru = new LRUCache<string, CachedResponse>({
      maxSize: maxBytes,
      sizeCalculation: (e) => e.bytes,
      dispose: (_e, _k, reason) => {
        if (reason === 'evict') onEvict();
      },
    });
  }

  /** Bytes the entries hold, as counted against max_bytes. */
  get bytes(): number {
    return this.lru.calculatedSize;
  }

  get entries(): number {
    return this.lru.size;
  }

  /**
   * Answers `key` for version instance `owner`: from an entry, from an identical request already running, or
   * by `compute()` (which submits to the scheduler) and storing what it returns.
   */
  async serve(owner: ServingVersion, key: string, signal: Cancellation | undefined, compute: () => Promise<readonly Tensor[]>): Promise<Served> {
    const started = now();
    for (;;) {
      const entry = this.lru.get(key);
      if (entry && entry.owner === owner) return { outputs: entry.outputs, cache: { hit: true, ns: now() - started } };
      const flight = this.flights.get(key);
      if (flight && flight.owner === owner) {
        const lookedUp = now();
        try {
          const outputs = await waitFor(flight.run, signal);
          return { outputs, cache: { hit: true, ns: lookedUp - started, waitNs: now() - lookedUp } };
        } catch (err) {
          if (signal?.aborted || !OWN_FATE.has(toAmaasError(err).code)) throw err;
          continue;
        }
      }
      return this.lead(owner, key, started, compute);
    }
  }

  private async lead(owner: ServingVersion, key: string, started: bigint, compute: () => Promise<readonly Tensor[]>): Promise<Served> {
    const lookupNs = now() - started;
    const flight: Flight = { owner, run: compute() };
    this.flights.set(key, flight);
    try {
      const outputs = await flight.run;
      const storing = now();
      if (!this.closed.has(owner)) this.lru.set(key, cachedResponse(owner, key, outputs));
      return { outputs, cache: { hit: false, ns: lookupNs + (now() - storing) } };
    } finally {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    }
  }

  /** `owner` stopped serving (unloaded, replaced by a reload): drops its entries and stores none of it again. */
  close(owner: ServingVersion): void {
    this.closed.add(owner);
    const keys: string[] = [];
    for (const [key, e] of this.lru.entries()) if (e.owner === owner) keys.push(key);
    for (const key of keys) this.lru.delete(key);
  }

  clear(): void {
    this.lru.clear();
  }
}

/** `run`'s answer, unless `signal` aborts first (then its reason). */
function waitFor<T>(run: Promise<T>, signal: Cancellation | undefined): Promise<T> {
  if (!signal) return run;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    run.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
