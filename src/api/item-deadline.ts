/**
 * A stream item's own deadline: its timeout (from the item, or stream_item_timeout_ms) counted from when it was
 * read, on top of the stream's deadline and cancellation. The item's job carries the earlier of the two, so
 * admission refuses at once what could not start in time, and the item's signal aborts at its own time, which
 * drops the job from the queue (the scheduler's abort path) and answers the item DEADLINE_EXCEEDED in-band.
 * A job already running is left to finish. One timer per item that has a timeout; none for the others.
 */
import { AmaasError } from '../errors';
import { type Cancellation, CancellationSource } from '../scheduling/cancellation';

export interface ItemDeadline {
  readonly signal: Cancellation;
  /** Ms since the epoch; undefined: neither the item nor the stream has one. */
  readonly deadline: number | undefined;
  dispose(): void;
}

/**
 * `timeoutMs`: the item's own timeout, or undefined to use `defaultMs` (stream_item_timeout_ms; null: none).
 * Without either the stream's signal and deadline are returned as they are. `what` names the item in the
 * error (a REST request carries the same `timeout` parameter).
 */
export function itemDeadline(
  stream: { readonly signal: Cancellation; readonly deadline: number | undefined },
  timeoutMs: number | undefined,
  defaultMs: number | null,
  what: 'stream item' | 'request' = 'stream item',
): ItemDeadline {
  const ms = timeoutMs ?? defaultMs;
  if (ms === null || stream.signal.aborted) return { signal: stream.signal, deadline: stream.deadline, dispose: () => {} };
  const at = Date.now() + ms;
  const controller = new CancellationSource();
  const forward = () => controller.abort(stream.signal.reason);
  stream.signal.addEventListener('abort', forward, { once: true });
  const timer = setTimeout(
    () => controller.abort(new AmaasError('AMAAS_ERR_DEADLINE_EXCEEDED', `the ${what}'s timeout (${ms} ms) passed before it ran`)),
    ms,
  );
  return {
    signal: controller,
    deadline: stream.deadline === undefined ? at : Math.min(at, stream.deadline),
    dispose: () => {
      clearTimeout(timer);
      stream.signal.removeEventListener('abort', forward);
    },
  };
}

/** Runs one stream item under its deadline; `timeoutMs` reads the item's own timeout (it may throw: a bad item). */
export async function withItemDeadline<T>(
  stream: { readonly signal: Cancellation; readonly deadline: number | undefined },
  timeoutMs: () => number | undefined,
  defaultMs: number | null,
  run: (signal: Cancellation, deadline: number | undefined) => Promise<T>,
  what: 'stream item' | 'request' = 'stream item',
): Promise<T> {
  const item = itemDeadline(stream, timeoutMs(), defaultMs, what);
  try {
    return await run(item.signal, item.deadline);
  } finally {
    item.dispose();
  }
}
