/**
 * amaas.v1 BatchPredict: many requests on one bidirectional stream, answered as they complete.
 *
 * Flow control both ways: at most `stream_window` items are in flight per stream, and the server stops
 * reading while the window is full or while the client is not reading its responses (write() returned
 * false). Nothing is buffered beyond that, whatever the client sends. Every item read gets exactly one
 * response. On shutdown the stream stops reading, answers what it has read, and ends with UNAVAILABLE so
 * the client knows to resend what it did not get answers for.
 */
import * as grpc from '@grpc/grpc-js';
import { AmaasError } from '../../errors';
import { CallSignal, callSignal } from '../call-signal';
import type { ApiContext } from '../context';
import { statusOf, toServiceError } from '../status-map';
import type { WireBatchPredictRequest, WireBatchPredictResponse } from './messages';
import { runPredict } from './predict';

type BatchCall = grpc.ServerDuplexStream<WireBatchPredictRequest, WireBatchPredictResponse>;

const OK = { code: grpc.status.OK, message: '', error_code: '' };

class BatchStream {
  private inFlight = 0;
  private readEnded = false;
  private writeBlocked = false;
  private draining = false;
  private finished = false;
  private readonly cs: CallSignal;
  private readonly stopListeningForDrain: () => void;

  constructor(
    private readonly ctx: ApiContext,
    private readonly call: BatchCall,
  ) {
    this.cs = callSignal(call);
    this.stopListeningForDrain = ctx.drain.onDrain(() => this.beginDrain());
    call.on('data', (item: WireBatchPredictRequest) => this.onItem(item));
    call.on('end', () => {
      this.readEnded = true;
      this.maybeFinish();
    });
    call.on('drain', () => {
      this.writeBlocked = false;
      this.updateFlow();
    });
    call.on('cancelled', () => this.close());
    if (ctx.drain.draining) this.beginDrain();
  }

  private onItem(item: WireBatchPredictRequest): void {
    this.inFlight++;
    this.updateFlow();
    const id = item.request?.id ?? '';
    const work = item.request
      ? runPredict(this.ctx, item.request, this.cs.signal)
      : Promise.reject(new AmaasError('AMAAS_ERR_INVALID_REQUEST', 'stream item has no request'));
    work
      .then(
        (response): WireBatchPredictResponse => ({ id, status: OK, response }),
        (err): WireBatchPredictResponse => {
          const s = statusOf(err);
          return { id, status: { code: s.code, message: s.details, error_code: s.errorCode }, response: null };
        },
      )
      .then((answer) => {
        this.inFlight--;
        if (this.finished) return;
        if (!this.call.write(answer)) this.writeBlocked = true;
        this.updateFlow();
        this.maybeFinish();
      });
  }

  /** Reads only while there is room in the window and the client keeps up with our writes. */
  private updateFlow(): void {
    if (this.finished) return;
    const hold = this.draining || this.writeBlocked || this.inFlight >= this.ctx.config.streamWindow;
    if (hold && !this.call.isPaused()) this.call.pause();
    else if (!hold && this.call.isPaused()) this.call.resume();
  }

  private beginDrain(): void {
    this.draining = true;
    this.updateFlow();
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.finished || this.inFlight > 0) return;
    if (this.readEnded) {
      this.close();
      this.call.end();
    } else if (this.draining) {
      this.close();
      this.call.emit(
        'error',
        toServiceError(
          new AmaasError(
            'AMAAS_ERR_SHUTTING_DOWN',
            'the server is shutting down: every item read on this stream was answered; resend the unanswered ones to another replica',
          ),
        ),
      );
    }
  }

  private close(): void {
    if (this.finished) return;
    this.finished = true;
    this.cs.dispose();
    this.stopListeningForDrain();
  }
}

export function batchPredictHandler(ctx: ApiContext): grpc.handleBidiStreamingCall<WireBatchPredictRequest, WireBatchPredictResponse> {
  return (call) => {
    new BatchStream(ctx, call);
  };
}
