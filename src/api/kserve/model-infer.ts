/** ModelInfer: decode, run through the service, encode. */
import type * as grpc from '@grpc/grpc-js';
import { AmaasError } from '../../errors';
import { callSignal } from '../call-signal';
import type { ApiContext } from '../context';
import { toServiceError } from '../status-map';
import { decodeInferRequest, encodeInferResponse } from './infer-wire';
import type { WireModelInferRequest, WireModelInferResponse } from './messages';

/** One request end to end; ModelStreamInfer runs it per stream message. */
export async function runModelInfer(ctx: ApiContext, wire: WireModelInferRequest, signal: AbortSignal, deadline?: number): Promise<WireModelInferResponse> {
  const { request, raw } = decodeInferRequest(wire);
  const result = await ctx.service.infer(request, signal, deadline);
  return encodeInferResponse(result, raw, ctx.config.maxMessageBytes);
}

export function modelInferHandler(ctx: ApiContext): grpc.handleUnaryCall<WireModelInferRequest, WireModelInferResponse> {
  return (call, callback) => {
    if (ctx.drain.draining) {
      callback(toServiceError(new AmaasError('AMAAS_ERR_SHUTTING_DOWN', 'the server is shutting down; retry on another replica')));
      return;
    }
    const cs = callSignal(call, ctx.config.deadlineMarginMs);
    runModelInfer(ctx, call.request, cs.signal, cs.deadline)
      .then(
        (response) => callback(null, response),
        (err) => callback(toServiceError(err)),
      )
      .finally(cs.dispose);
  };
}
