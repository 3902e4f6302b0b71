/**
 * What the service tells a request's trace (OpenTelemetry, src/observability/): the version that served it and
 * the timings ModelStatistics records, so the trace's queue and compute spans are those very intervals. An
 * interface here, so the service knows nothing of how requests are traced; handlers pass one only when the
 * request is being traced (none at all with tracing off).
 */
import type { ErrorCode } from '../errors';
import type { ServingVersion } from '../repository/model-version';

export interface RequestTrace {
  /**
   * The request reached `target`. Times are process.hrtime.bigint() readings: `received` when the service took
   * it, `started` when it left the queue for a worker (undefined: it never did), `done` when it was answered.
   * `cacheHit`: whether the response cache answered it (undefined: the model has no cache).
   */
  served(target: ServingVersion, received: bigint, started: bigint | undefined, done: bigint, errorCode: ErrorCode | null, cacheHit?: boolean): void;
}
