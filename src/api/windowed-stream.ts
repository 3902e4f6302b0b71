/**
 * Flow control for every bidirectional inference stream (amaas.v1 BatchPredict, Triton's ModelStreamInfer).
 *
 * Items are answered concurrently and written as soon as each is ready. At most `stream_window` items are in
 * flight per stream, and the stream is not read while the window is full or while the client is not reading
 * its answers (write() returned false): nothing is buffered beyond that, whatever the client sends. Every
 * item read gets exactly one answer. On shutdown the stream stops reading, answers what it has read, and
 * ends with UNAVAILABLE so the client knows to resend what it got no answer for.
 */
import * as grpc from '@grpc/grpc-js';
import { AmaasError } from '../errors';
import { type AccessSite, type CallSpan, requestIdMetadata, requestIdOf } from '../observability';
import type { Cancellation } from '../scheduling/cancellation';
import { CallSignal, callSignal } from './call-signal';
import type { ApiContext } from './context';
import { toServiceError } from './status-map';

/**
 * Answers one item; must not reject: failures become answers of their own (an item status, an error message).
 * `deadline`: the stream's server-side deadline (CallSignal.deadline), shared by its items. `streamId`: the
 * stream's request id, an item's own when it has no valid id of its own (request-id.ts itemRequestId).
 * `stream`: the stream's span when it is traced, the parent of each item's span (CallSpan.item).
 */
export type AnswerItem<Req, Res> = (item: Req, signal: Cancellation, deadline: number | undefined, streamId: string, stream: CallSpan | undefined) => Promise<Res>;

class WindowedStream<Req, Res> {
  private inFlight = 0;
  private readEnded = false;
  private writeBlocked = false;
  private draining = false;
  private finished = false;
  private readonly cs: CallSignal;
  private readonly stopListeningForDrain: () => void;
  private readonly requestId: string;
  /** The stream's server span (tracing on and sampled), ended with the stream. */
  private readonly span: CallSpan | undefined;

  constructor(
    private readonly ctx: ApiContext,
    private readonly call: grpc.ServerDuplexStream<Req, Res>,
    private readonly answer: AnswerItem<Req, Res>,
    site: AccessSite,
  ) {
    this.cs = callSignal(call, ctx.config.deadlineMarginMs);
    // The stream's id (x-request-id or a new one) goes back at once in the initial metadata.
    this.requestId = requestIdOf(call.metadata);
    this.span = ctx.tracing?.grpcCall(call.metadata, site, this.requestId);
    call.sendMetadata(requestIdMetadata(this.requestId));
    this.stopListeningForDrain = ctx.drain.onDrain(() => this.beginDrain());
    call.on('data', (item: Req) => this.onItem(item));
    call.on('end', () => {
      this.readEnded = true;
      this.maybeFinish();
    });
    call.on('drain', () => {
      this.writeBlocked = false;
      this.updateFlow();
    });
    call.on('cancelled', () => this.close(grpc.status.CANCELLED));
    if (ctx.drain.draining) this.beginDrain();
  }

  private onItem(item: Req): void {
    this.inFlight++;
    this.updateFlow();
    void this.answer(item, this.cs.signal, this.cs.deadline, this.requestId, this.span).then((answer) => {
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
      this.close(grpc.status.OK);
      this.call.end();
    } else if (this.draining) {
      this.close(grpc.status.UNAVAILABLE);
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

  /** `code`: the stream's final status, for its span. */
  private close(code: grpc.status): void {
    if (this.finished) return;
    this.finished = true;
    this.cs.dispose();
    this.stopListeningForDrain();
    if (code === grpc.status.OK) this.span?.endGrpcOk();
    else this.span?.endGrpc(code);
  }
}

/** `site`: the stream's RPC (its span's name and attributes). */
export function serveWindowedStream<Req, Res>(ctx: ApiContext, call: grpc.ServerDuplexStream<Req, Res>, answer: AnswerItem<Req, Res>, site: AccessSite): void {
  new WindowedStream(ctx, call, answer, site);
}
