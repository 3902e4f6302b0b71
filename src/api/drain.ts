/** Shared shutdown state: handlers refuse new work once draining, and long-lived streams stop reading. */
export class DrainState {
  private active = false;
  private readonly listeners = new Set<() => void>();

  get draining(): boolean {
    return this.active;
  }

  begin(): void {
    if (this.active) return;
    this.active = true;
    for (const l of [...this.listeners]) l();
  }

  /** Calls `listener` when draining begins; returns the function that unsubscribes. */
  onDrain(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
