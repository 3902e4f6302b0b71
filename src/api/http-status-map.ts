/**
 * The one table from catalogue codes to HTTP status codes, for the Open Inference Protocol's REST binding;
 * the twin of status-map.ts (same codes, same meaning). HTTP handlers never choose a status themselves.
 */
import { ErrorCode, toAmaasError } from '../errors';
import { bounded } from '../errors-format';
import { createLogger } from '../observability/logging';
import { retryHintOf } from './status-details';

const log = createLogger('api');

export const HTTP_STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  AMAAS_ERR_MODEL_NOT_FOUND: 404,
  AMAAS_ERR_VERSION_NOT_FOUND: 404,
  AMAAS_ERR_INVALID_REQUEST: 400,
  AMAAS_ERR_INPUT_MISSING: 400,
  AMAAS_ERR_INPUT_UNKNOWN: 400,
  AMAAS_ERR_INPUT_DUPLICATE: 400,
  AMAAS_ERR_DATATYPE_MISMATCH: 400,
  AMAAS_ERR_SHAPE_MISMATCH: 400,
  AMAAS_ERR_CONTENT_SIZE_MISMATCH: 400,
  AMAAS_ERR_OUTPUT_UNKNOWN: 400,
  AMAAS_ERR_MESSAGE_TOO_LARGE: 413,
  AMAAS_ERR_QUEUE_FULL: 429,
  AMAAS_ERR_RATE_LIMITED: 429,
  AMAAS_ERR_CONCURRENCY_LIMIT: 429,
  AMAAS_ERR_OVERLOADED: 429,
  AMAAS_ERR_MODEL_UNAVAILABLE: 503,
  AMAAS_ERR_SHUTTING_DOWN: 503,
  AMAAS_ERR_WORKER_EXITED: 503,
  AMAAS_ERR_DEADLINE_EXCEEDED: 504,
  // nginx's "client closed request": nobody reads it, but logs and proxies recognise it.
  AMAAS_ERR_CANCELLED: 499,
  AMAAS_ERR_RUNTIME_FAILURE: 500,
  AMAAS_ERR_MODEL_LOAD_FAILED: 503,
  AMAAS_ERR_EXECUTION_PROVIDER_UNAVAILABLE: 503,
  AMAAS_ERR_CHECKSUM_MISMATCH: 412,
  AMAAS_ERR_MODEL_KEY_MISSING: 412,
  AMAAS_ERR_MODEL_KEY_MISMATCH: 412,
  AMAAS_ERR_MODEL_TAMPERED: 412,
  AMAAS_ERR_MODEL_BINDING_MISMATCH: 412,
  AMAAS_ERR_MODEL_ENVELOPE_INVALID: 412,
  AMAAS_ERR_NO_PREVIOUS_VERSION: 412,
  // 401 answers carry `WWW-Authenticate: Bearer` (RFC 6750): httpErrorOf below adds it.
  AMAAS_ERR_UNAUTHENTICATED: 401,
  AMAAS_ERR_PERMISSION_DENIED: 403,
  AMAAS_ERR_CONFIG_INVALID: 400,
  AMAAS_ERR_INTERNAL: 500,
};

/** The protocol's health answers: 200 means true, a 4xx means false (the body says which). */
export const HEALTH_TRUE_HTTP_STATUS = 200;
export const HEALTH_FALSE_HTTP_STATUS = 400;

export interface HttpErrorAnswer {
  readonly status: number;
  readonly errorCode: ErrorCode;
  /** The protocol's error body. */
  readonly body: { error: string };
  /** Headers the status calls for: `WWW-Authenticate: Bearer` with a 401 (RFC 6750), `Retry-After` with a refusal for load. */
  readonly headers?: Readonly<Record<string, string>>;
}

const CHALLENGE = Object.freeze({ 'www-authenticate': 'Bearer' });

/** `requestId`: the request's (observability/request-id.ts), for the log line of an internal error. */
export function httpErrorOf(err: unknown, requestId?: string): HttpErrorAnswer {
  const e = toAmaasError(err);
  if (e.code === 'AMAAS_ERR_INTERNAL') log.error('internal error', { message: e.message, stack: e.stack, ...(requestId ? { request_id: requestId } : {}) });
  const status = HTTP_STATUS_BY_CODE[e.code] ?? 500;
  // Retry-After counts whole seconds (RFC 9110 §10.2.3): the hint rounded up, so a client never retries early.
  const retry = retryHintOf(e);
  const headers = status === 401 ? CHALLENGE : retry ? { 'retry-after': String(Math.max(1, Math.ceil(retry.delayMs / 1000))) } : undefined;
  return { status, errorCode: e.code, body: { error: bounded(e.message) }, ...(headers ? { headers } : {}) };
}
