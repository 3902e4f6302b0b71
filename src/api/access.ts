/**
 * The access-log lines of the inference handlers (unary calls, stream items, the REST infer route): what
 * each takes from its request or response. Checked against the mode before anything is gathered, so with
 * `access_log: errors` a successful call costs one comparison here.
 */
import * as grpc from '@grpc/grpc-js';
import type { AccessSite } from '../observability';
import { type Identity, httpAccess } from '../security';
import type { ApiContext } from './context';
import type { StatusOf } from './status-map';

/** The model and version fields every inference request and response of both gRPC protocols has. */
export interface ModelFields {
  readonly model_name?: string;
  readonly model_version?: unknown;
}

const STATUS_NAMES = grpc.status as unknown as Record<number, string>;

/** A call or stream item that succeeded; `response` names the version that actually served it. */
export function accessOk(
  ctx: ApiContext,
  site: AccessSite,
  requestId: string,
  started: number,
  response: ModelFields,
  identity: Identity | undefined,
  cacheHit?: boolean,
): void {
  if (!ctx.accessLog.wants(false)) return;
  ctx.accessLog.write(site, started, {
    requestId,
    model: response.model_name,
    version: response.model_version,
    status: 'OK',
    errorCode: '',
    tenant: identity?.tenant,
    cacheHit,
  });
}

export function accessFailed(
  ctx: ApiContext,
  site: AccessSite,
  requestId: string,
  started: number,
  request: ModelFields | null | undefined,
  status: StatusOf,
  identity: Identity | undefined,
): void {
  if (!ctx.accessLog.wants(true)) return;
  ctx.accessLog.write(site, started, {
    requestId,
    model: request?.model_name,
    version: request?.model_version,
    status: STATUS_NAMES[status.code] ?? String(status.code),
    errorCode: status.errorCode,
    tenant: identity?.tenant,
  });
}

export const REST_INFER: AccessSite = { protocol: 'rest', method: 'POST /v2/models/{model}[/versions/{version}]/infer' };

/** The REST infer route's line; `segments` are the path's, `/v2/models/{m}[/versions/{v}]/infer`. */
export function accessHttp(
  ctx: ApiContext,
  requestId: string,
  started: number,
  segments: readonly string[],
  httpStatus: number,
  errorCode: string,
  identity: Identity | undefined,
  cacheHit?: boolean,
): void {
  if (!ctx.accessLog.wants(errorCode !== '')) return;
  ctx.accessLog.write(REST_INFER, started, {
    requestId,
    model: segments[2],
    version: segments[3] === 'versions' ? segments[4] : undefined,
    status: httpStatus,
    errorCode,
    tenant: identity?.tenant,
    cacheHit,
  });
}

/** Whether a REST request is an inference (the one route with an access-log line): the route table's own answer. */
export function isRestInfer(method: string, segments: readonly string[]): boolean {
  return httpAccess(method, segments) === 'infer';
}
