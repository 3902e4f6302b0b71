/**
 * Foreign failures are re-coded into the catalogue once, where they leave a worker: onnxruntime's messages on
 * one side, Piscina's (a worker that died, a task aborted) on the other. The message is kept; stacks are not.
 */
import { AmaasError, ErrorCode } from '../errors';
import type { WorkerFailure } from './messages';

/**
 * onnxruntime validates feeds against the graph before running it; those failures are the caller's fault
 * and must read as INVALID_ARGUMENT, not INTERNAL. Matched on onnxruntime's stable message prefixes.
 */
const ORT_INPUT_ERRORS: ReadonlyArray<[RegExp, ErrorCode]> = [
  [/Invalid rank for input|Got invalid dimensions for input/i, 'AMAAS_ERR_SHAPE_MISMATCH'],
  [/Unexpected input data type/i, 'AMAAS_ERR_DATATYPE_MISMATCH'],
];

/** In the worker: an error thrown by session.run -> a failure reply. */
export function classifyRunError(err: unknown): WorkerFailure {
  const message = err instanceof Error ? err.message : String(err);
  for (const [pattern, code] of ORT_INPUT_ERRORS) {
    if (pattern.test(message)) return { ok: false, code, message: `onnxruntime rejected the input: ${message}` };
  }
  return { ok: false, code: 'AMAAS_ERR_RUNTIME_FAILURE', message: `onnxruntime failed to run the model: ${message}` };
}

/** In the main thread: a failure reply -> the catalogue error. */
export function fromWorkerFailure(failure: WorkerFailure): AmaasError {
  return new AmaasError(failure.code, failure.message);
}

/** In the main thread: a rejection from Piscina itself (the handler never throws on purpose). */
export function fromPoolRejection(err: unknown): AmaasError {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof Error && err.name === 'AbortError') {
    return new AmaasError('AMAAS_ERR_CANCELLED', 'the request was cancelled before it ran');
  }
  if (/worker.*(exit|terminat)|terminat.*worker/i.test(message)) {
    return new AmaasError(
      'AMAAS_ERR_WORKER_EXITED',
      `the worker running this request exited (${message}); it is being replaced, and the request can be retried`,
    );
  }
  return new AmaasError('AMAAS_ERR_INTERNAL', `worker failure: ${message}`, { cause: err });
}
