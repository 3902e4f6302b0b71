/**
 * A token bucket on an injected clock (ms): refilled continuously at `ratePerSecond`, holding at most
 * `capacity`. A take of n tokens passes when the bucket holds min(n, capacity) — so a request larger than the
 * bucket still passes once it is full, leaving the bucket in debt, rather than never — and is refused
 * otherwise with the ms until it would pass. Checking and taking are separate so that a caller with two
 * buckets (requests and rows) takes from neither unless both pass.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly ratePerSecond: number,
    readonly capacity: number,
    now: number,
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError('a token bucket needs a positive rate');
    if (!(capacity > 0)) throw new RangeError('a token bucket needs a positive capacity');
    this.tokens = capacity;
    this.last = now;
  }

  /** 0 when `n` tokens may be taken now, else the ms until they may. */
  waitMs(n: number, now: number): number {
    this.refill(now);
    const needed = Math.min(n, this.capacity);
    if (this.tokens >= needed) return 0;
    return ((needed - this.tokens) * 1000) / this.ratePerSecond;
  }

  /** Takes `n` tokens; call only after waitMs(n, now) returned 0. */
  take(n: number): void {
    this.tokens -= n;
  }

  /** Tokens held now (negative while in debt); for tests. */
  level(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  private refill(now: number): void {
    // A clock that steps back (tests, NTP) adds nothing rather than removing tokens.
    const elapsed = Math.max(0, now - this.last);
    this.last = Math.max(this.last, now);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.ratePerSecond) / 1000);
  }
}
