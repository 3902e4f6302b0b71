/** amaas.v1 Predict: decode, run through the service, encode. */
import type * as grpc from '@grpc/grpc-js';
import type { ApiContext } from '../context';
import type { Identity } from '../../security';
import type { Cancellation } from '../../scheduling/cancellation';
import type { RequestTrace } from '../../service/request-trace';
import { unaryInference } from '../unary';
import type { WirePredictRequest, WirePredictResponse } from './messages';
import { decodePredictRequest, encodePredictResponse } from './predict-wire';

/** One request end to end; shared with BatchPredict, which runs it per item. */
export async function runPredict(
  ctx: ApiContext,
  wire: WirePredictRequest,
  signal: Cancellation,
  deadline?: number,
  identity?: Identity,
  trace?: RequestTrace,
): Promise<WirePredictResponse> {
  const { request, encoding } = decodePredictRequest(wire, identity);
  const result = await ctx.service.infer(request, signal, deadline, trace);
  return encodePredictResponse(result, encoding, ctx.config.maxMessageBytes);
}

export function predictHandler(ctx: ApiContext): grpc.handleUnaryCall<WirePredictRequest, WirePredictResponse> {
  return unaryInference(ctx, runPredict, { protocol: 'amaas', method: 'Predict' });
}
