/**
 * Shared shutdown state, in two phases a balancer can follow:
 *  - unready (from SIGTERM): health, ServerReady and REST ready say NOT_SERVING so balancers and Kubernetes stop
 *    sending new calls, while every call that still comes is served (shutdown_delay_ms);
 *  - draining (after the delay): long-lived streams stop reading, health watches end, and the transport sends
 *    GOAWAY (graceful-goaway.ts); calls already on the wire are still served.
 */
export class DrainState {
  private phase: 'serving' | 'unready' | 'draining' = 'serving';
  private readonly unreadyListeners = new Set<() => void>();
  private readonly drainListeners = new Set<() => void>();

  /** True from the shutdown signal on: health reports NOT_SERVING. */
  get unready(): boolean {
    return this.phase !== 'serving';
  }

  /** True once the shutdown delay has passed: streams stop taking new items. */
  get draining(): boolean {
    return this.phase === 'draining';
  }

  /** Health turns NOT_SERVING; calls keep being served. */
  markUnready(): void {
    if (this.phase !== 'serving') return;
    this.phase = 'unready';
    for (const l of [...this.unreadyListeners]) l();
  }

  /** Draining begins (unready first, when it was not yet). */
  begin(): void {
    if (this.phase === 'draining') return;
    this.markUnready();
    this.phase = 'draining';
    for (const l of [...this.drainListeners]) l();
  }

  /** Calls `listener` when the server turns unready; returns the function that unsubscribes. */
  onUnready(listener: () => void): () => void {
    this.unreadyListeners.add(listener);
    return () => this.unreadyListeners.delete(listener);
  }

  /** Calls `listener` when draining begins; returns the function that unsubscribes. */
  onDrain(listener: () => void): () => void {
    this.drainListeners.add(listener);
    return () => this.drainListeners.delete(listener);
  }
}
