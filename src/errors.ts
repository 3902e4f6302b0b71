/**
 * The error catalogue. Every failure amaas reports to a caller is an AmaasError carrying one of these
 * stable codes; api/status-map.ts is the only place that turns a code into a gRPC status.
 * Codes are part of the public contract (they travel in BatchPredict item statuses and logs):
 * never rename one, add new ones at the end of their group, and document each in docs/errors.md.
 */
export const ErrorCodes = {
  // The request names something that does not exist.
  AMAAS_ERR_MODEL_NOT_FOUND: 'AMAAS_ERR_MODEL_NOT_FOUND',
  AMAAS_ERR_VERSION_NOT_FOUND: 'AMAAS_ERR_VERSION_NOT_FOUND',
  // The request is malformed or does not fit the model.
  AMAAS_ERR_INVALID_REQUEST: 'AMAAS_ERR_INVALID_REQUEST',
  AMAAS_ERR_INPUT_MISSING: 'AMAAS_ERR_INPUT_MISSING',
  AMAAS_ERR_INPUT_UNKNOWN: 'AMAAS_ERR_INPUT_UNKNOWN',
  AMAAS_ERR_INPUT_DUPLICATE: 'AMAAS_ERR_INPUT_DUPLICATE',
  AMAAS_ERR_DATATYPE_MISMATCH: 'AMAAS_ERR_DATATYPE_MISMATCH',
  AMAAS_ERR_SHAPE_MISMATCH: 'AMAAS_ERR_SHAPE_MISMATCH',
  AMAAS_ERR_CONTENT_SIZE_MISMATCH: 'AMAAS_ERR_CONTENT_SIZE_MISMATCH',
  AMAAS_ERR_OUTPUT_UNKNOWN: 'AMAAS_ERR_OUTPUT_UNKNOWN',
  // Size and load limits.
  AMAAS_ERR_MESSAGE_TOO_LARGE: 'AMAAS_ERR_MESSAGE_TOO_LARGE',
  AMAAS_ERR_QUEUE_FULL: 'AMAAS_ERR_QUEUE_FULL',
  AMAAS_ERR_RATE_LIMITED: 'AMAAS_ERR_RATE_LIMITED',
  AMAAS_ERR_CONCURRENCY_LIMIT: 'AMAAS_ERR_CONCURRENCY_LIMIT',
  AMAAS_ERR_OVERLOADED: 'AMAAS_ERR_OVERLOADED',
  // The model or server cannot take the request now; a retry elsewhere or later may succeed.
  AMAAS_ERR_MODEL_UNAVAILABLE: 'AMAAS_ERR_MODEL_UNAVAILABLE',
  AMAAS_ERR_SHUTTING_DOWN: 'AMAAS_ERR_SHUTTING_DOWN',
  AMAAS_ERR_WORKER_EXITED: 'AMAAS_ERR_WORKER_EXITED',
  // The caller gave up.
  AMAAS_ERR_DEADLINE_EXCEEDED: 'AMAAS_ERR_DEADLINE_EXCEEDED',
  AMAAS_ERR_CANCELLED: 'AMAAS_ERR_CANCELLED',
  // onnxruntime failed while running a valid request.
  AMAAS_ERR_RUNTIME_FAILURE: 'AMAAS_ERR_RUNTIME_FAILURE',
  // Model loading (never sent to a predict caller; shown as a version's unavailability reason).
  AMAAS_ERR_MODEL_LOAD_FAILED: 'AMAAS_ERR_MODEL_LOAD_FAILED',
  AMAAS_ERR_EXECUTION_PROVIDER_UNAVAILABLE: 'AMAAS_ERR_EXECUTION_PROVIDER_UNAVAILABLE',
  AMAAS_ERR_CHECKSUM_MISMATCH: 'AMAAS_ERR_CHECKSUM_MISMATCH',
  // Encrypted models (model.onnx.enc, docs/encryption.md).
  AMAAS_ERR_MODEL_KEY_MISSING: 'AMAAS_ERR_MODEL_KEY_MISSING',
  AMAAS_ERR_MODEL_KEY_MISMATCH: 'AMAAS_ERR_MODEL_KEY_MISMATCH',
  AMAAS_ERR_MODEL_TAMPERED: 'AMAAS_ERR_MODEL_TAMPERED',
  AMAAS_ERR_MODEL_BINDING_MISMATCH: 'AMAAS_ERR_MODEL_BINDING_MISMATCH',
  AMAAS_ERR_MODEL_ENVELOPE_INVALID: 'AMAAS_ERR_MODEL_ENVELOPE_INVALID',
  // A model-control request that cannot be carried out in the model's current state.
  AMAAS_ERR_NO_PREVIOUS_VERSION: 'AMAAS_ERR_NO_PREVIOUS_VERSION',
  // The caller is not known, or may not do this (security: docs/errors.md).
  AMAAS_ERR_UNAUTHENTICATED: 'AMAAS_ERR_UNAUTHENTICATED',
  AMAAS_ERR_PERMISSION_DENIED: 'AMAAS_ERR_PERMISSION_DENIED',
  // Bad configuration (startup only).
  AMAAS_ERR_CONFIG_INVALID: 'AMAAS_ERR_CONFIG_INVALID',
  // A bug in amaas: anything not classified above.
  AMAAS_ERR_INTERNAL: 'AMAAS_ERR_INTERNAL',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/**
 * When and why a refusal for load may be retried: the transports turn it into grpc-retry-pushback-ms and
 * google.rpc.RetryInfo / QuotaFailure (api/status-map.ts), or Retry-After (api/http-status-map.ts).
 */
export interface RetryHint {
  /** How long the caller should wait before retrying here, in ms (>= 0). */
  readonly delayMs: number;
  /** The quota that refused it (google.rpc.QuotaFailure.Violation); absent for a refusal that is no quota. */
  readonly quota?: { readonly subject: string; readonly description: string };
}

export class AmaasError extends Error {
  readonly code: ErrorCode;
  /** Set on refusals for load (rate, concurrency, queue, admission): when to retry. */
  readonly retry?: RetryHint;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retry?: RetryHint }) {
    // Every code but INTERNAL is an answer to the client (a refusal, a bad request), not a bug: capturing a
    // stack trace for it was the largest cost of our own code per refused call under overload.
    const limit = Error.stackTraceLimit;
    if (code !== 'AMAAS_ERR_INTERNAL') Error.stackTraceLimit = 0;
    super(message, options);
    Error.stackTraceLimit = limit;
    this.code = code;
    if (options?.retry) this.retry = options.retry;
  }
}
AmaasError.prototype.name = 'AmaasError';

/** Wraps anything thrown into the catalogue; unknown failures become AMAAS_ERR_INTERNAL with their message. */
export function toAmaasError(value: unknown): AmaasError {
  if (value instanceof AmaasError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new AmaasError('AMAAS_ERR_INTERNAL', message, { cause: value });
}
