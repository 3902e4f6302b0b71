/**
 * Turns a call's deadline and cancellation into one AbortSignal that travels with its work, so a queued
 * request whose caller is gone is dropped before it reaches a worker. dispose() must run when the call ends.
 */
import type * as grpc from '@grpc/grpc-js';
import { setMaxListeners } from 'node:events';
import { AmaasError } from '../errors';

export interface CallSignal {
  readonly signal: AbortSignal;
  dispose(): void;
}

/** The part of any server call (unary or streaming) that carries its deadline and cancellation. */
interface SurfaceCall {
  on(event: 'cancelled', listener: () => void): unknown;
  removeListener(event: 'cancelled', listener: () => void): unknown;
  getDeadline(): grpc.Deadline;
}

export function callSignal(call: SurfaceCall): CallSignal {
  const controller = new AbortController();
  // A BatchPredict stream shares one signal among up to stream_window queued jobs, each listening until it
  // leaves the queue; that is bounded by the window, not a leak.
  setMaxListeners(0, controller.signal);
  const onCancel = () => controller.abort(new AmaasError('AMAAS_ERR_CANCELLED', 'the client cancelled the call'));
  call.on('cancelled', onCancel);
  let timer: NodeJS.Timeout | undefined;
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : Number(deadline);
  if (Number.isFinite(at)) {
    timer = setTimeout(
      () => controller.abort(new AmaasError('AMAAS_ERR_DEADLINE_EXCEEDED', 'the call deadline passed before the request ran')),
      Math.max(0, at - Date.now()),
    );
  }
  return {
    signal: controller.signal,
    dispose: () => {
      if (timer) clearTimeout(timer);
      call.removeListener('cancelled', onCancel);
    },
  };
}
