/**
 * ModelStreamInfer (Triton): ModelInferRequests on one bidirectional stream, each answered with one
 * ModelStreamInferResponse as soon as it completes (so possibly out of order: match by id). A failed request
 * is answered with an error_message (which starts with the request's id and error code) and an infer_response
 * holding only the model name, version and id; the stream goes on. An item may carry its own `timeout`
 * (infer-parameters.ts; else stream_item_timeout_ms): still queued when it runs out, it is answered
 * DEADLINE_EXCEEDED at once and never reaches a worker (item-deadline.ts).
 *
 * Flow control and shutdown behaviour are those of every inference stream (windowed-stream.ts).
 */
import type * as grpc from '@grpc/grpc-js';
import { type AccessSite, itemRequestId } from '../../observability';
import { identityOf } from '../../security';
import { accessFailed, accessOk } from '../access';
import { servedNote } from '../served-note';
import { withItemDeadline } from '../item-deadline';
import type { ApiContext } from '../context';
import { type StatusOf, statusOf } from '../status-map';
import { serveWindowedStream } from '../windowed-stream';
import { inferTimeoutMs } from './infer-parameters';
import type { WireModelInferRequest, WireModelStreamInferResponse } from './messages';
import { runModelInfer } from './model-infer';

const SITE: AccessSite = { protocol: 'kserve', method: 'ModelStreamInfer' };

function errorAnswer(request: WireModelInferRequest, s: StatusOf): WireModelStreamInferResponse {
  const id = request.id ?? '';
  return {
    error_message: `[request id: ${id}] ${s.errorCode}: ${s.details}`,
    infer_response: {
      model_name: request.model_name ?? '',
      model_version: request.model_version ?? '',
      id,
      outputs: [],
      raw_output_contents: [],
    },
  };
}

export function modelStreamInferHandler(ctx: ApiContext): grpc.handleBidiStreamingCall<WireModelInferRequest, WireModelStreamInferResponse> {
  return (call) => {
    const identity = identityOf(call);
    serveWindowedStream(
      ctx,
      call,
      (request, signal, deadline, streamId, stream) => {
        const started = ctx.accessLog.start();
        // The request's own id is its request id; one without a valid id is logged under the stream's.
        const requestId = itemRequestId(request.id, streamId);
        const span = stream?.item(requestId);
        const note = servedNote(ctx, span);
        return withItemDeadline(
          { signal, deadline },
          () => inferTimeoutMs(request.parameters),
          ctx.config.streamItemTimeoutMs,
          (itemSignal, itemDeadline) => runModelInfer(ctx, request, itemSignal, itemDeadline, identity, note ?? span),
        ).then(
          (response): WireModelStreamInferResponse => {
            accessOk(ctx, SITE, requestId, started, response, identity, note?.cacheHit);
            span?.endGrpcOk();
            return { error_message: '', infer_response: response };
          },
          (err) => {
            const s = statusOf(err, requestId);
            accessFailed(ctx, SITE, requestId, started, request, s, identity);
            span?.endGrpc(s.code, s.errorCode, s.details);
            return errorAnswer(request, s);
          },
        );
      },
      SITE,
    );
  };
}
