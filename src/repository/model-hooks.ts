/**
 * What the registry tells an observer about its versions (metrics today): load times, and per version the
 * batches its scheduler launches and the workers its pool replaces. Plain callbacks, so the repository,
 * scheduling and pool layers know nothing of how they are recorded; every hook is optional.
 */
import type { BatchClosedBy } from '../scheduling/batch-policy';
import type { BatchTraceHook } from '../scheduling/dynamic-batcher';

export interface VersionHooks {
  /** A batch launched (dynamically batched versions only): its rows and why it closed. */
  readonly onBatch?: (rows: number, closedBy: BatchClosedBy) => void;
  /** A worker died while the version served; Piscina starts another in its place. */
  readonly onWorkerReplaced?: () => void;
  /** Tracing on: the span of each batch (dynamically batched versions only). */
  readonly traceBatch?: BatchTraceHook;
}

export interface ModelHooks {
  /** A version reached READY; `seconds` from the start of its load (checksum, workers, sessions, warm-up). */
  readonly versionLoaded?: (model: string, version: number, seconds: number) => void;
  /** Asked once per load of a version, before its pool opens: the hooks its pool and scheduler call. */
  readonly versionHooks?: (model: string, version: number) => VersionHooks;
}
