/**
 * Turns a call's deadline and cancellation into one Cancellation that travels with its work, so a queued
 * request whose caller is gone is dropped before it reaches a worker. dispose() must run when the call ends.
 *
 * The server's deadline is the call's less `marginMs` (deadline_margin_ms): a queued request is answered
 * DEADLINE_EXCEEDED that much before the client's own timer fires. Answered later, the client would cancel
 * the call itself with an HTTP/2 RST_STREAM, and thousands of those a second trip Node's rapid-reset
 * protection, which closes the whole session and fails every other call on it.
 */
import type * as grpc from '@grpc/grpc-js';
import { AmaasError } from '../errors';
import { type Cancellation, CancellationSource } from '../scheduling/cancellation';

export interface CallSignal {
  readonly signal: Cancellation;
  /**
   * When the server must have answered, in ms since the epoch: the call's deadline less the margin; the
   * signal aborts then. Undefined when the call has no deadline. Jobs carry it for admission (scheduler.ts).
   */
  readonly deadline: number | undefined;
  dispose(): void;
}

/** The part of any server call (unary or streaming) that carries its deadline and cancellation. */
interface SurfaceCall {
  on(event: 'cancelled', listener: () => void): unknown;
  removeListener(event: 'cancelled', listener: () => void): unknown;
  getDeadline(): grpc.Deadline;
}

export function callSignal(call: SurfaceCall, marginMs = 0): CallSignal {
  // A BatchPredict stream shares one signal among up to stream_window queued jobs, each listening until it
  // leaves the queue.
  const controller = new CancellationSource();
  const onCancel = () => controller.abort(new AmaasError('AMAAS_ERR_CANCELLED', 'the client cancelled the call'));
  call.on('cancelled', onCancel);
  let timer: NodeJS.Timeout | undefined;
  const deadline = call.getDeadline();
  const callAt = deadline instanceof Date ? deadline.getTime() : Number(deadline);
  const at = Number.isFinite(callAt) ? callAt - marginMs : undefined;
  if (at !== undefined) {
    timer = setTimeout(
      () => controller.abort(new AmaasError('AMAAS_ERR_DEADLINE_EXCEEDED', 'the call deadline passed before the request ran')),
      Math.max(0, at - Date.now()),
    );
  }
  return {
    signal: controller,
    deadline: at,
    dispose: () => {
      if (timer) clearTimeout(timer);
      call.removeListener('cancelled', onCancel);
    },
  };
}
