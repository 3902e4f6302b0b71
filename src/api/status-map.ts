/**
 * The one table from catalogue codes to gRPC status codes. Handlers never choose a status themselves:
 * they throw AmaasErrors and call toServiceError, which also attaches the stable code as trailing metadata
 * (`amaas-error-code`) so programs need not parse messages. Every message is bounded here (errors-format.ts),
 * so no message, however it was built, can make a grpc-message trailer the client refuses.
 */
import * as grpc from '@grpc/grpc-js';
import { ErrorCode, RetryHint, toAmaasError } from '../errors';
import { bounded } from '../errors-format';
import { createLogger } from '../observability/logging';
import { addRetryTrailers, retryHintOf } from './status-details';

const log = createLogger('api');

export const GRPC_STATUS_BY_CODE: Readonly<Record<ErrorCode, grpc.status>> = {
  AMAAS_ERR_MODEL_NOT_FOUND: grpc.status.NOT_FOUND,
  AMAAS_ERR_VERSION_NOT_FOUND: grpc.status.NOT_FOUND,
  AMAAS_ERR_INVALID_REQUEST: grpc.status.INVALID_ARGUMENT,
  AMAAS_ERR_INPUT_MISSING: grpc.status.INVALID_ARGUMENT,
  AMAAS_ERR_INPUT_UNKNOWN: grpc.status.INVALID_ARGUMENT,
  AMAAS_ERR_INPUT_DUPLICATE: grpc.status.INVALID_ARGUMENT,
  AMAAS_ERR_DATATYPE_MISMATCH: grpc.status.INVALID_ARGUMENT,
  AMAAS_ERR_SHAPE_MISMATCH: grpc.status.INVALID_ARGUMENT,
  AMAAS_ERR_CONTENT_SIZE_MISMATCH: grpc.status.INVALID_ARGUMENT,
  AMAAS_ERR_OUTPUT_UNKNOWN: grpc.status.INVALID_ARGUMENT,
  AMAAS_ERR_MESSAGE_TOO_LARGE: grpc.status.RESOURCE_EXHAUSTED,
  AMAAS_ERR_QUEUE_FULL: grpc.status.RESOURCE_EXHAUSTED,
  AMAAS_ERR_RATE_LIMITED: grpc.status.RESOURCE_EXHAUSTED,
  AMAAS_ERR_CONCURRENCY_LIMIT: grpc.status.RESOURCE_EXHAUSTED,
  AMAAS_ERR_OVERLOADED: grpc.status.RESOURCE_EXHAUSTED,
  AMAAS_ERR_MODEL_UNAVAILABLE: grpc.status.UNAVAILABLE,
  AMAAS_ERR_SHUTTING_DOWN: grpc.status.UNAVAILABLE,
  AMAAS_ERR_WORKER_EXITED: grpc.status.UNAVAILABLE,
  AMAAS_ERR_DEADLINE_EXCEEDED: grpc.status.DEADLINE_EXCEEDED,
  AMAAS_ERR_CANCELLED: grpc.status.CANCELLED,
  AMAAS_ERR_RUNTIME_FAILURE: grpc.status.INTERNAL,
  AMAAS_ERR_MODEL_LOAD_FAILED: grpc.status.UNAVAILABLE,
  AMAAS_ERR_EXECUTION_PROVIDER_UNAVAILABLE: grpc.status.UNAVAILABLE,
  AMAAS_ERR_CHECKSUM_MISMATCH: grpc.status.FAILED_PRECONDITION,
  AMAAS_ERR_MODEL_KEY_MISSING: grpc.status.FAILED_PRECONDITION,
  AMAAS_ERR_MODEL_KEY_MISMATCH: grpc.status.FAILED_PRECONDITION,
  AMAAS_ERR_MODEL_TAMPERED: grpc.status.FAILED_PRECONDITION,
  AMAAS_ERR_MODEL_BINDING_MISMATCH: grpc.status.FAILED_PRECONDITION,
  AMAAS_ERR_MODEL_ENVELOPE_INVALID: grpc.status.FAILED_PRECONDITION,
  AMAAS_ERR_NO_PREVIOUS_VERSION: grpc.status.FAILED_PRECONDITION,
  AMAAS_ERR_UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  AMAAS_ERR_PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
  AMAAS_ERR_CONFIG_INVALID: grpc.status.INVALID_ARGUMENT,
  AMAAS_ERR_INTERNAL: grpc.status.INTERNAL,
};

export const ERROR_CODE_METADATA_KEY = 'amaas-error-code';

export interface StatusOf {
  readonly code: grpc.status;
  readonly details: string;
  readonly errorCode: ErrorCode;
  /** A refusal for load: sent as grpc-retry-pushback-ms and grpc-status-details-bin (status-details.ts). */
  readonly retry?: RetryHint;
}

/** `requestId`: the call's (observability/request-id.ts), for the log line of an internal error. */
export function statusOf(err: unknown, requestId?: string): StatusOf {
  const e = toAmaasError(err);
  const code = GRPC_STATUS_BY_CODE[e.code] ?? grpc.status.INTERNAL;
  if (e.code === 'AMAAS_ERR_INTERNAL') log.error('internal error', { message: e.message, stack: e.stack, ...(requestId ? { request_id: requestId } : {}) });
  const retry = retryHintOf(e);
  return { code, details: bounded(e.message), errorCode: e.code, ...(retry ? { retry } : {}) };
}

export function toServiceError(err: unknown, requestId?: string): grpc.ServiceError {
  return serviceError(statusOf(err, requestId));
}

/** The error a handler's callback takes, for a status already worked out. */
export function serviceError(s: StatusOf): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  metadata.set(ERROR_CODE_METADATA_KEY, s.errorCode);
  if (s.retry) addRetryTrailers(metadata, s.code, s.details, s.errorCode, s.retry);
  return Object.assign(new Error(s.details), { code: s.code, details: s.details, metadata });
}
