/**
 * Request ids: the `x-request-id` a caller sends (gRPC metadata, HTTP header) when it is well formed, else
 * one made here. The id is returned to the caller and written on every log and audit line about the
 * request, so it must be safe to print: at most MAX_REQUEST_ID_LENGTH visible ASCII characters (no spaces,
 * no control characters). A malformed one is replaced, never logged.
 *
 * Made ids are a per-process random prefix and a counter (`3f9c1a7b20d4-1a`): unique across calls and
 * replicas without a UUID's cost per call.
 */
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';

export const REQUEST_ID_KEY = 'x-request-id';
export const MAX_REQUEST_ID_LENGTH = 128;

/** Whether a caller's id may be used as is: 1 to 128 characters, each from `!` (0x21) to `~` (0x7e). */
export function isValidRequestId(id: string): boolean {
  if (id.length === 0 || id.length > MAX_REQUEST_ID_LENGTH) return false;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

const PREFIX = `${randomBytes(6).toString('hex')}-`;
let counter = 0;

/** A new id, unique in this process (the counter) and across processes (the random prefix). */
export function newRequestId(): string {
  counter = counter === Number.MAX_SAFE_INTEGER ? 1 : counter + 1;
  return PREFIX + counter.toString(36);
}

/** The caller's id when it is valid, else a new one. */
export function acceptRequestId(incoming: string | undefined): string {
  return incoming !== undefined && isValidRequestId(incoming) ? incoming : newRequestId();
}

/**
 * A gRPC call's id, decided once per call and kept on the call's Metadata object (which grpc-js hands to
 * the security interceptor and then to the handler), so whoever asks first (the handler, or the gate when
 * it refuses the call) decides it and the other gets the same. It is the caller's `x-request-id` when valid,
 * else `messageId` (a unary request's own id field) when valid, else a new one. Symbol-keyed: no key a
 * client sends can set it.
 */
const REQUEST_ID = Symbol('amaas.request-id');
type WithRequestId = grpc.Metadata & { [REQUEST_ID]?: string };

export function requestIdOf(metadata: grpc.Metadata, messageId?: string): string {
  const md = metadata as WithRequestId;
  let id = md[REQUEST_ID];
  if (id === undefined) {
    const values = metadata.get(REQUEST_ID_KEY);
    // Sent more than once, or as binary: not one usable id.
    const sent = values.length === 1 && typeof values[0] === 'string' ? values[0] : undefined;
    id = sent !== undefined && isValidRequestId(sent) ? sent : acceptRequestId(messageId);
    md[REQUEST_ID] = id;
  }
  return id;
}

/** Initial metadata that returns a call's id to its caller. */
export function requestIdMetadata(id: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(REQUEST_ID_KEY, id);
  return metadata;
}

/** A stream item's id: its own request id field when that is a valid id, else the stream's id. */
export function itemRequestId(itemId: string | undefined, streamId: string): string {
  return itemId && isValidRequestId(itemId) ? itemId : streamId;
}
