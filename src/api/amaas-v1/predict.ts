/** amaas.v1 Predict: decode, run through the service, encode. */
import type * as grpc from '@grpc/grpc-js';
import { AmaasError } from '../../errors';
import { callSignal } from '../call-signal';
import type { ApiContext } from '../context';
import { toServiceError } from '../status-map';
import type { WirePredictRequest, WirePredictResponse } from './messages';
import { decodePredictRequest, encodePredictResponse } from './predict-wire';

/** One request end to end; shared with BatchPredict, which runs it per item. */
export async function runPredict(ctx: ApiContext, wire: WirePredictRequest, signal: AbortSignal, deadline?: number): Promise<WirePredictResponse> {
  const { request, encoding } = decodePredictRequest(wire);
  const result = await ctx.service.infer(request, signal, deadline);
  return encodePredictResponse(result, encoding, ctx.config.maxMessageBytes);
}

export function predictHandler(ctx: ApiContext): grpc.handleUnaryCall<WirePredictRequest, WirePredictResponse> {
  return (call, callback) => {
    if (ctx.drain.draining) {
      callback(toServiceError(new AmaasError('AMAAS_ERR_SHUTTING_DOWN', 'the server is shutting down; retry on another replica')));
      return;
    }
    const cs = callSignal(call, ctx.config.deadlineMarginMs);
    runPredict(ctx, call.request, cs.signal, cs.deadline)
      .then(
        (response) => callback(null, response),
        (err) => callback(toServiceError(err)),
      )
      .finally(cs.dispose);
  };
}
