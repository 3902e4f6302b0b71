/**
 * The retry hint of a refusal for load, as gRPC clients read it: the `grpc-retry-pushback-ms` trailer (a
 * decimal count of ms, which grpc-js's retrying call parses with parseInt and waits before its next attempt),
 * and `grpc-status-details-bin`, a serialized google.rpc.Status whose details hold a google.rpc.RetryInfo, a
 * QuotaFailure when a quota refused it, and an ErrorInfo with the catalogue code. The .proto subset is ours
 * (proto/google/rpc/), field numbers from the published googleapis definitions.
 */
import * as grpc from '@grpc/grpc-js';
import path from 'node:path';
import protobuf from 'protobufjs';
import type { AmaasError, ErrorCode, RetryHint } from '../errors';
import { PROTO_ROOT } from '../paths';

export const PUSHBACK_METADATA_KEY = 'grpc-retry-pushback-ms';
export const STATUS_DETAILS_METADATA_KEY = 'grpc-status-details-bin';

const TYPE_PREFIX = 'type.googleapis.com/';

/** The hint of a full queue whose scheduler gave none: a short wait, since a run ending frees its slots. */
const QUEUE_FULL_RETRY: RetryHint = Object.freeze({ delayMs: 10 });

/** When to retry a refusal: its own hint, or the default of a full queue; undefined for anything that is no refusal for load. */
export function retryHintOf(e: AmaasError): RetryHint | undefined {
  return e.retry ?? (e.code === 'AMAAS_ERR_QUEUE_FULL' ? QUEUE_FULL_RETRY : undefined);
}

interface RpcTypes {
  readonly status: protobuf.Type;
  readonly retryInfo: protobuf.Type;
  readonly quotaFailure: protobuf.Type;
  readonly errorInfo: protobuf.Type;
}

let types: RpcTypes | null = null;

/** The google.rpc message types (loaded on the first refusal; a server that refuses nothing never reads them). */
export function rpcTypes(): RpcTypes {
  if (!types) {
    // google/protobuf/any.proto and duration.proto are protobufjs's bundled well-known types.
    const root = new protobuf.Root().loadSync([path.join(PROTO_ROOT, 'google/rpc/status.proto'), path.join(PROTO_ROOT, 'google/rpc/error_details.proto')], { keepCase: true });
    types = {
      status: root.lookupType('google.rpc.Status'),
      retryInfo: root.lookupType('google.rpc.RetryInfo'),
      quotaFailure: root.lookupType('google.rpc.QuotaFailure'),
      errorInfo: root.lookupType('google.rpc.ErrorInfo'),
    };
  }
  return types;
}

const any = (type: protobuf.Type, value: object) => ({ type_url: TYPE_PREFIX + type.fullName.replace(/^\./, ''), value: type.encode(type.fromObject(value)).finish() });

/** The serialized google.rpc.Status for a refusal with a retry hint. */
export function statusDetails(code: grpc.status, message: string, errorCode: ErrorCode, retry: RetryHint): Buffer {
  const t = rpcTypes();
  const ms = Math.max(0, Math.round(retry.delayMs));
  const details = [
    any(t.retryInfo, { retry_delay: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 } }),
    ...(retry.quota ? [any(t.quotaFailure, { violations: [{ subject: retry.quota.subject, description: retry.quota.description }] })] : []),
    any(t.errorInfo, { reason: errorCode, domain: 'amaas' }),
  ];
  return Buffer.from(t.status.encode(t.status.fromObject({ code, message, details })).finish());
}

/** Adds the pushback and status-details trailers of a refusal to `metadata`. */
export function addRetryTrailers(metadata: grpc.Metadata, code: grpc.status, message: string, errorCode: ErrorCode, retry: RetryHint): void {
  metadata.set(PUSHBACK_METADATA_KEY, String(Math.max(0, Math.round(retry.delayMs))));
  metadata.set(STATUS_DETAILS_METADATA_KEY, statusDetails(code, message, errorCode, retry));
}

/** What a client decodes from grpc-status-details-bin (tests, the CLI). */
export interface DecodedStatus {
  readonly code: number;
  readonly message: string;
  /** RetryInfo.retry_delay in ms, when present. */
  readonly retryDelayMs?: number;
  readonly quotaViolations: readonly { readonly subject: string; readonly description: string }[];
  /** ErrorInfo.reason (the catalogue code), when present. */
  readonly reason?: string;
}

export function decodeStatusDetails(bytes: Uint8Array): DecodedStatus {
  const t = rpcTypes();
  const s = t.status.toObject(t.status.decode(bytes), { longs: Number, defaults: true }) as { code: number; message: string; details: { type_url: string; value: Uint8Array }[] };
  let retryDelayMs: number | undefined;
  let reason: string | undefined;
  const quotaViolations: { subject: string; description: string }[] = [];
  for (const d of s.details) {
    const name = d.type_url.slice(d.type_url.lastIndexOf('/') + 1);
    if (name === 'google.rpc.RetryInfo') {
      const r = t.retryInfo.toObject(t.retryInfo.decode(d.value), { longs: Number, defaults: true }) as { retry_delay?: { seconds: number; nanos: number } };
      retryDelayMs = (r.retry_delay?.seconds ?? 0) * 1000 + (r.retry_delay?.nanos ?? 0) / 1e6;
    } else if (name === 'google.rpc.QuotaFailure') {
      const q = t.quotaFailure.toObject(t.quotaFailure.decode(d.value), { defaults: true }) as { violations: { subject: string; description: string }[] };
      quotaViolations.push(...q.violations);
    } else if (name === 'google.rpc.ErrorInfo') {
      reason = (t.errorInfo.toObject(t.errorInfo.decode(d.value), { defaults: true }) as { reason: string }).reason;
    }
  }
  return { code: s.code, message: s.message, ...(retryDelayMs === undefined ? {} : { retryDelayMs }), quotaViolations, ...(reason === undefined ? {} : { reason }) };
}
