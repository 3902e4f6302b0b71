/**
 * What the service tells an observer (metrics) about each request, beside ModelStatistics: the same outcome
 * record ModelStatistics keeps, so the two never disagree, and the refusals made before a version was chosen.
 * An interface here, so the service knows nothing of how requests are recorded.
 */
import type { ErrorCode } from '../errors';
import type { ServingVersion } from '../repository/model-version';
import type { Identity } from '../security';
import type { RequestOutcome } from './model-statistics';

/** The wire protocol a request came in by: amaas.v1, the Open Inference Protocol over gRPC, or its REST binding. */
export type Protocol = 'amaas' | 'kserve' | 'rest';

/** Why a request was refused before any compute (bounded: these are metric label values). */
export type RefusalReason = 'queue_full' | 'deadline' | 'draining' | 'auth' | 'unavailable' | 'rate_limit' | 'concurrency';

export interface RequestObserver {
  /**
   * A request that reached `target`, with exactly the outcome ModelStatistics recorded; `errorCode` null when it
   * succeeded. An outcome without queue time never left the queue (a refusal, an abort, a deadline).
   */
  request(target: ServingVersion, protocol: Protocol, identity: Identity | undefined, outcome: RequestOutcome, errorCode: ErrorCode | null): void;
  /** A refusal; `model` '' when no served model is known yet (the security gate, a draining server). */
  refusal(model: string, reason: RefusalReason): void;
}
