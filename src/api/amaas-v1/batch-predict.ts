/**
 * amaas.v1 BatchPredict: many requests on one bidirectional stream, each answered as soon as it completes,
 * with its id and its own status; a failed item does not end the stream. Flow control and shutdown behaviour
 * are those of every inference stream (windowed-stream.ts).
 */
import * as grpc from '@grpc/grpc-js';
import { AmaasError } from '../../errors';
import { type AccessSite, type CallSpan, itemRequestId } from '../../observability';
import { Identity, identityOf } from '../../security';
import { accessFailed, accessOk } from '../access';
import type { ApiContext } from '../context';
import { statusOf } from '../status-map';
import { serveWindowedStream } from '../windowed-stream';
import { throwIfMalformed } from '../wire-decoder';
import type { WireBatchPredictRequest, WireBatchPredictResponse } from './messages';
import { runPredict } from './predict';

const OK = { code: grpc.status.OK, message: '', error_code: '' };
const SITE: AccessSite = { protocol: 'amaas', method: 'BatchPredict' };

function answerItem(ctx: ApiContext, identity: Identity | undefined) {
  return async (
    item: WireBatchPredictRequest,
    signal: AbortSignal,
    deadline: number | undefined,
    streamId: string,
    stream: CallSpan | undefined,
  ): Promise<WireBatchPredictResponse> => {
    const started = ctx.accessLog.start();
    const id = item.request?.id ?? '';
    // The item's own id is its request id; one without a valid id is logged under the stream's.
    const requestId = itemRequestId(id, streamId);
    const span = stream?.item(requestId);
    try {
      throwIfMalformed(item);
      if (!item.request) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', 'stream item has no request');
      const response = await runPredict(ctx, item.request, signal, deadline, identity, span);
      accessOk(ctx, SITE, requestId, started, response, identity);
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
