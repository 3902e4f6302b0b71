/**
 * amaas.v1 BatchPredict: many requests on one bidirectional stream, each answered as soon as it completes,
 * with its id and its own status; a failed item does not end the stream. Flow control and shutdown behaviour
 * are those of every inference stream (windowed-stream.ts). An item may carry its own timeout_ms (else
 * stream_item_timeout_ms): still queued when it runs out, it is answered DEADLINE_EXCEEDED at once and never
 * reaches a worker (item-deadline.ts).
 */
import * as grpc from '@grpc/grpc-js';
import { AmaasError } from '../../errors';
import { type AccessSite, type CallSpan, itemRequestId } from '../../observability';
import type { Cancellation } from '../../scheduling/cancellation';
import { Identity, identityOf } from '../../security';
import { accessFailed, accessOk } from '../access';
import { servedNote } from '../served-note';
import { withItemDeadline } from '../item-deadline';
import type { ApiContext } from '../context';
import { statusOf } from '../status-map';
import { serveWindowedStream } from '../windowed-stream';
import { throwIfMalformed } from '../wire-decoder';
import type { WireBatchPredictRequest, WireBatchPredictResponse } from './messages';
import { runPredict } from './predict';

const OK = { code: grpc.status.OK, message: '', error_code: '' };
const SITE: AccessSite = { protocol: 'amaas', method: 'BatchPredict' };

/** BatchPredictRequest.timeout_ms (uint32 on the wire; 0 = none). */
function itemTimeoutMs(value: number | string | undefined): number | undefined {
  const ms = Number(value ?? 0);
  return ms > 0 ? ms : undefined;
}

function answerItem(ctx: ApiContext, identity: Identity | undefined) {
  return async (
    item: WireBatchPredictRequest,
    signal: Cancellation,
    deadline: number | undefined,
    streamId: string,
    stream: CallSpan | undefined,
  ): Promise<WireBatchPredictResponse> => {
    const started = ctx.accessLog.start();
    const id = item.request?.id ?? '';
    // The item's own id is its request id; one without a valid id is logged under the stream's.
    const requestId = itemRequestId(id, streamId);
    const span = stream?.item(requestId);
    const note = servedNote(ctx, span);
    try {
      throwIfMalformed(item);
      if (!item.request) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', 'stream item has no request');
      const request = item.request;
      const response = await withItemDeadline(
        { signal, deadline },
        () => itemTimeoutMs(item.timeout_ms),
        ctx.config.streamItemTimeoutMs,
        (itemSignal, itemDeadline) => runPredict(ctx, request, itemSignal, itemDeadline, identity, note ?? span),
      );
      accessOk(ctx, SITE, requestId, started, response, identity, note?.cacheHit);
      span?.endGrpcOk();
      return { id, status: OK, response };
    } catch (err) {
      const s = statusOf(err, requestId);
      accessFailed(ctx, SITE, requestId, started, item.request, s, identity);
      span?.endGrpc(s.code, s.errorCode, s.details);
      return { id, status: { code: s.code, message: s.details, error_code: s.errorCode }, response: null };
    }
  };
}

export function batchPredictHandler(ctx: ApiContext): grpc.handleBidiStreamingCall<WireBatchPredictRequest, WireBatchPredictResponse> {
  return (call) => serveWindowedStream(ctx, call, answerItem(ctx, identityOf(call)), SITE);
}
