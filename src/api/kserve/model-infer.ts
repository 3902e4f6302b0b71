/** ModelInfer: decode, run through the service, encode. */
import type * as grpc from '@grpc/grpc-js';
import type { ApiContext } from '../context';
import type { Identity } from '../../security';
import type { Cancellation } from '../../scheduling/cancellation';
import type { RequestTrace } from '../../service/request-trace';
import { unaryInference } from '../unary';
import { decodeInferRequest, encodeInferResponse } from './infer-wire';
import type { WireModelInferRequest, WireModelInferResponse } from './messages';

/** One request end to end; ModelStreamInfer runs it per stream message. */
export async function runModelInfer(
  ctx: ApiContext,
  wire: WireModelInferRequest,
  signal: Cancellation,
  deadline?: number,
  identity?: Identity,
  trace?: RequestTrace,
): Promise<WireModelInferResponse> {
  const { request, raw } = decodeInferRequest(wire, identity);
  const result = await ctx.service.infer(request, signal, deadline, trace);
  return encodeInferResponse(result, raw, ctx.config.maxMessageBytes);
}

export function modelInferHandler(ctx: ApiContext): grpc.handleUnaryCall<WireModelInferRequest, WireModelInferResponse> {
  return unaryInference(ctx, runModelInfer, { protocol: 'kserve', method: 'ModelInfer' });
}
