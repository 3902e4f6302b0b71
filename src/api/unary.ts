/**
 * Unary handler wrappers. `unary` is for control and metadata RPCs: its result is the response, anything it
 * throws goes through the status table. `unaryInference` adds what every inference call needs: the
 * call's deadline and cancellation as a Cancellation released when the call ends, its
 * request id (returned as `x-request-id` initial metadata; in the trailers of UNAVAILABLE and RESOURCE_EXHAUSTED
 * refusals, which go trailers-only so that client retry policies may retry them) and its access-log line.
 */
import type * as grpc from '@grpc/grpc-js';
import { status as Status } from '@grpc/grpc-js';
import { type AccessSite, REQUEST_ID_KEY, requestIdMetadata, requestIdOf } from '../observability';
import { Identity, identityOf } from '../security';
import type { Cancellation } from '../scheduling/cancellation';
import type { RequestTrace } from '../service/request-trace';
import { ModelFields, accessFailed, accessOk } from './access';
import { callSignal } from './call-signal';
import type { ApiContext } from './context';
import { servedNote } from './served-note';
import { serviceError, statusOf, toServiceError } from './status-map';

export function unary<Req, Res>(
  handle: (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Res | Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    // The call's id goes back in the initial metadata, and on its audit line (the gate reads the same one).
    const requestId = requestIdOf(call.metadata);
    Promise.resolve()
      .then(() => handle(call.request, call))
      .then(
        (response) => {
          call.sendMetadata(requestIdMetadata(requestId));
          callback(null, response);
        },
        (err) => {
          call.sendMetadata(requestIdMetadata(requestId));
          callback(toServiceError(err, requestId));
        },
      );
  };
}

/**
 * Runs one inference request; `deadline` is when the server must have answered (see CallSignal); `identity`
 * is the caller the security gate let through (undefined when auth is off); `trace` the request's trace when
 * it is traced (for InferenceService.infer).
 */
export type RunInference<Req, Res> = (ctx: ApiContext, request: Req, signal: Cancellation, deadline?: number, identity?: Identity, trace?: RequestTrace) => Promise<Res>;

export function unaryInference<Req extends ModelFields & { readonly id?: string }, Res extends ModelFields>(
  ctx: ApiContext,
  run: RunInference<Req, Res>,
  site: AccessSite,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const started = ctx.accessLog.start();
    // x-request-id when the caller sent a valid one, else the request's own id field, else a new one.
    const requestId = requestIdOf(call.metadata, call.request.id);
    const identity = identityOf(call);
    // Tracing off: undefined, and nothing below does any tracing work.
    const span = ctx.tracing?.grpcCall(call.metadata, site, requestId);
    const fail = (err: unknown) => {
      const s = statusOf(err, requestId);
      const e = serviceError(s);
      // A retry policy may retry only a call that got no headers: retryable refusals answer trailers-only,
      // with the request id in the trailers (grpc-js commits an attempt once it receives initial metadata).
      if (s.code === Status.UNAVAILABLE || s.code === Status.RESOURCE_EXHAUSTED) e.metadata.set(REQUEST_ID_KEY, requestId);
      else call.sendMetadata(requestIdMetadata(requestId));
      callback(e);
      accessFailed(ctx, site, requestId, started, call.request, s, identity);
      span?.endGrpc(s.code, s.errorCode, s.details);
    };
    // No refusal while draining: after the GOAWAY the transport takes no new streams, so a call that reaches
    // this point was already on the wire when the balancer learned of the shutdown, and is served.
    const cs = callSignal(call, ctx.config.deadlineMarginMs);
    const note = servedNote(ctx, span);
    run(ctx, call.request, cs.signal, cs.deadline, identity, note ?? span)
      .then(
        (response) => {
          call.sendMetadata(requestIdMetadata(requestId));
          callback(null, response);
          accessOk(ctx, site, requestId, started, response, identity, note?.cacheHit);
          span?.endGrpcOk();
        },
        fail,
      )
      .finally(cs.dispose);
  };
}
