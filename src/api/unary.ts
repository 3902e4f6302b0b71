/**
 * Unary handler wrappers. `unary` is for control and metadata RPCs: its result is the response, anything it
 * throws goes through the status table. `unaryInference` adds what every inference call needs: refusal while
 * the server drains, and the call's deadline and cancellation as an AbortSignal released when the call ends.
 */
import type * as grpc from '@grpc/grpc-js';
import { AmaasError } from '../errors';
import { Identity, identityOf } from '../security';
import { callSignal } from './call-signal';
import type { ApiContext } from './context';
import { toServiceError } from './status-map';

export function unary<Req, Res>(
  handle: (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Res | Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => handle(call.request, call))
      .then(
        (response) => callback(null, response),
        (err) => callback(toServiceError(err)),
      );
  };
}

/**
 * Runs one inference request; `deadline` is when the server must have answered (see CallSignal); `identity`
 * is the caller the security gate let through (undefined when auth is off).
 */
export type RunInference<Req, Res> = (ctx: ApiContext, request: Req, signal: AbortSignal, deadline?: number, identity?: Identity) => Promise<Res>;

export function unaryInference<Req, Res>(ctx: ApiContext, run: RunInference<Req, Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    if (ctx.drain.draining) {
      ctx.service.refused('draining');
      callback(toServiceError(new AmaasError('AMAAS_ERR_SHUTTING_DOWN', 'the server is shutting down; retry on another replica')));
      return;
    }
    const cs = callSignal(call, ctx.config.deadlineMarginMs);
    run(ctx, call.request, cs.signal, cs.deadline, identityOf(call))
      .then(
        (response) => callback(null, response),
        (err) => callback(toServiceError(err)),
      )
      .finally(cs.dispose);
  };
}
