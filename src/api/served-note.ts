/**
 * What an access-log line needs to know of how a request was served that the wire response does not say:
 * whether the response cache answered it. The service reports it through the request's RequestTrace; this one
 * keeps it for the access line and passes everything on to the call's span, if it is traced. Made only when
 * the access log writes successful calls (`access_log: all`), so the default costs nothing per call.
 */
import type { ErrorCode } from '../errors';
import type { ServingVersion } from '../repository/model-version';
import type { RequestTrace } from '../service/request-trace';
import type { ApiContext } from './context';

export class ServedNote implements RequestTrace {
  /** Set once served: true or false for a model with response_cache, else undefined. */
  cacheHit: boolean | undefined;

  constructor(private readonly span: RequestTrace | undefined) {}

  served(target: ServingVersion, received: bigint, started: bigint | undefined, done: bigint, errorCode: ErrorCode | null, cacheHit?: boolean): void {
    this.cacheHit = cacheHit;
    this.span?.served(target, received, started, done, errorCode, cacheHit);
  }
}

/** A ServedNote around `span` when successful calls get access lines (hand the service `note ?? span`), else undefined. */
export function servedNote(ctx: ApiContext, span: RequestTrace | undefined): ServedNote | undefined {
  return ctx.accessLog.wants(false) ? new ServedNote(span) : undefined;
}
