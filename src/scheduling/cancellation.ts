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
  // One listener is the common case (a unary call's queued job); a Set only when a stream shares the source.
  private one: (() => void) | undefined;
  private more: Set<() => void> | undefined;

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const one = this.one;
    const more = this.more;
    this.one = undefined;
    this.more = undefined;
    one?.();
    if (more) for (const listener of more) listener();
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.aborted || listener === this.one) return;
    if (this.one === undefined && !this.more?.size) this.one = listener;
    else (this.more ??= new Set()).add(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    if (this.one === listener) this.one = undefined;
    else this.more?.delete(listener);
  }
}
