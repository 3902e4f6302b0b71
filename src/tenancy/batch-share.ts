/**
 * Splits a merged batch's run time over its rows without the batcher's help: a batching scheduler starts
 * every member of a batch in one synchronous loop (each job's onStart), so the jobs of one version that start
 * before the next microtask ran together. Each joins that group with its rows; once it is answered, its share
 * of the run is its rows over the group's. Two batches handed to two free workers in the same loop form one
 * group: their runs overlap, and each member is charged by rows across both, which is the same split when
 * the batches take the same time per row.
 */
export interface BatchGroup {
  rows: number;
}

export class BatchShares {
  private readonly open = new WeakMap<object, BatchGroup>();

  /** A job of `rows` rows of `version` left the queue now; keep the group to ask share() later. */
  join(version: object, rows: number): BatchGroup {
    let g = this.open.get(version);
    if (!g) {
      g = { rows: 0 };
      this.open.set(version, g);
      queueMicrotask(() => this.open.delete(version));
    }
    g.rows += rows;
    return g;
  }
}

/** The fraction of its group's run a job of `rows` rows is charged. */
export function shareOf(group: BatchGroup, rows: number): number {
  return group.rows > 0 ? rows / group.rows : 1;
}
