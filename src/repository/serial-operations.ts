/**
 * Operations queued per key (a model's name) and run one after another, so two loads, an unload and a rollback
 * of one model never interleave, while different models' operations run side by side. A failed operation does
 * not stop the ones queued after it.
 */
export class SerialOperations {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `operation` once every operation queued before it for `key` has settled; resolves with its result. */
  run<T>(key: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(operation, operation);
    const settled = next.catch(() => undefined);
    this.tails.set(key, settled);
    void settled.then(() => {
      if (this.tails.get(key) === settled) this.tails.delete(key);
    });
    return next;
  }

  /** Settles once every operation queued so far, for any key, has settled. */
  async settled(): Promise<void> {
    await Promise.all([...this.tails.values()]);
  }
}
