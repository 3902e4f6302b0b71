/**
 * ModelStreamInfer (Triton): ModelInferRequests on one bidirectional stream, each answered with one
 * ModelStreamInferResponse as soon as it completes (so possibly out of order: match by id). A failed request
 * is answered with an error_message (which starts with the request's id and error code) and an infer_response
 * holding only the model name, version and id; the stream goes on.
 *
 * Flow control as in amaas.v1 BatchPredict: at most `stream_window` requests in flight per stream, and no
 * reading while the window is full or while the client does not read its responses. On shutdown the stream
 * stops reading, answers what it has read, and ends with UNAVAILABLE.
 */
import * as grpc from '@grpc/grpc-js';
import { AmaasError } from '../../errors';
import { CallSignal, callSignal } from '../call-signal';
import type { ApiContext } from '../context';
import { statusOf, toServiceError } from '../status-map';
import type { WireModelInferRequest, WireModelStreamInferResponse } from './messages';
import { runModelInfer } from './model-infer';

type StreamCall = grpc.ServerDuplexStream<WireModelInferRequest, WireModelStreamInferResponse>;

function errorAnswer(request: WireModelInferRequest, err: unknown): WireModelStreamInferResponse {
  const s = statusOf(err);
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

class InferStream {
  private inFlight = 0;
  private readEnded = false;
  private writeBlocked = false;
  private draining = false;
  private finished = false;
  private readonly cs: CallSignal;
  private readonly stopListeningForDrain: () => void;

  constructor(
    private readonly ctx: ApiContext,
    private readonly call: StreamCall,
  ) {
    this.cs = callSignal(call);
    this.stopListeningForDrain = ctx.drain.onDrain(() => this.beginDrain());
    call.on('data', (request: WireModelInferRequest) => this.onRequest(request));
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

  private onRequest(request: WireModelInferRequest): void {
    this.inFlight++;
    this.updateFlow();
    runModelInfer(this.ctx, request, this.cs.signal)
      .then(
        (response): WireModelStreamInferResponse => ({ error_message: '', infer_response: response }),
        (err) => errorAnswer(request, err),
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
            'the server is shutting down: every request read on this stream was answered; resend the unanswered ones to another replica',
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

export function modelStreamInferHandler(ctx: ApiContext): grpc.handleBidiStreamingCall<WireModelInferRequest, WireModelStreamInferResponse> {
  return (call) => {
    new InferStream(ctx, call);
  };
}
