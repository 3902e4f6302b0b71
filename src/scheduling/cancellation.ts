/**
 * What a queued job listens to for "drop me": the caller went away or its deadline passed. Node's AbortSignal
 * fits (the REST binding and tests pass one), but it is an EventTarget, and making one per call, with its
 * listeners, was about 8 % of the gRPC thread's JavaScript time at 64 calls in flight (a --cpu-prof profile,
 * issue 16); `CancellationSource` is the few fields the server's own calls need.
 */
export interface Cancellation {
  readonly aborted: boolean;
  /** Why it aborted; what a job dropped from its queue is rejected with. */
  readonly reason: unknown;
  /** Runs `listener` once when it aborts (never, if it already has: check `aborted` first, as with AbortSignal). */
  addEventListener(type: 'abort', listener: () => void, options?: { readonly once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export class CancellationSource implements Cancellation {
  aborted = false;
  reason: unknown = undefined;
  // Listeners in the order added; a removed one leaves a hole. Jobs mostly leave their queue in the order they
  // joined it, so the one removed is found at `head`, the first slot still in use. An array, not a Set: with a
  // Set, a BatchPredict stream's shared source (old-generation, churned by every item) cost 60 % more scavenge
  // time and about a tenth of the stream's throughput (--trace-gc, issue 16).
  private listeners: ((() => void) | undefined)[] = [];
  private head = 0;

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    const head = this.head;
    this.listeners = [];
    this.head = 0;
    for (let i = head; i < listeners.length; i++) listeners[i]?.();
  }

  /** Each listener is added once (the scheduler's are one per queued job). */
  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const listeners = this.listeners;
    const i = listeners.indexOf(listener, this.head);
    if (i < 0) return;
    listeners[i] = undefined;
    while (this.head < listeners.length && listeners[this.head] === undefined) this.head++;
    if (this.head === listeners.length) {
      listeners.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= listeners.length) {
      // Holes at the front take more than half the array: drop them.
      this.listeners = listeners.slice(this.head);
      this.head = 0;
    }
  }
}
