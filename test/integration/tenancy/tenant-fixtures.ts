/**
 * Shared pieces of the tenancy tests: a tenants file with limits (the SHA-256 of each key computed here), the
 * retry hint a refusal carries as the client sees it, and a REST infer call.
 */
import * as grpc from '@grpc/grpc-js';
import crypto from 'node:crypto';
import { PUSHBACK_METADATA_KEY, STATUS_DETAILS_METADATA_KEY, decodeStatusDetails, DecodedStatus } from '../../../src/api/status-details';
import type { AmaasCallError } from '../../../src/client/amaas-client';

export const KEYS = {
  /** alpha: infer + metadata on every model, with the limits the test gives. */
  alpha: 'alpha_k3y_' + crypto.randomBytes(16).toString('base64url'),
  /** beta: infer + metadata on every model, no limits. */
  beta: 'beta_k3y_' + crypto.randomBytes(16).toString('base64url'),
  /** ops: metadata + admin. */
  ops: 'ops_k3y_' + crypto.randomBytes(16).toString('base64url'),
} as const;

const sha256 = (key: string) => crypto.createHash('sha256').update(key, 'utf8').digest('hex');

/** A tenants file: alpha with `alphaLimits` (YAML flow mapping, e.g. `{ requests_per_second: 1 }`), beta and ops without. */
export function tenantsYaml(alphaLimits: string): string {
  return `tenants:
  alpha:
    keys: [{ id: alpha-1, sha256: "${sha256(KEYS.alpha)}" }]
    models: ["*"]
    scopes: [infer, metadata]
    limits: ${alphaLimits}
    weight: 3
    priority: high
  beta:
    keys: [{ id: beta-1, sha256: "${sha256(KEYS.beta)}" }]
    models: ["*"]
    scopes: [infer, metadata]
  ops:
    keys: [{ id: ops-1, sha256: "${sha256(KEYS.ops)}" }]
    models: ["*"]
    scopes: [metadata, admin]
`;
}

/** How a call was refused, with its retry hint as a client reads it. */
export interface Refusal {
  readonly code: grpc.status;
  readonly details: string;
  readonly errorCode?: string;
  /** grpc-retry-pushback-ms, as sent. */
  readonly pushback?: string;
  /** grpc-status-details-bin, decoded. */
  readonly status?: DecodedStatus;
}

export async function refusal(p: Promise<unknown>): Promise<Refusal> {
  try {
    await p;
  } catch (err) {
    const e = err as AmaasCallError;
    if (typeof e?.code !== 'number') throw err;
    const pushback = e.metadata?.get(PUSHBACK_METADATA_KEY)[0];
    const details = e.metadata?.get(STATUS_DETAILS_METADATA_KEY)[0];
    return {
      code: e.code,
      details: e.details,
      errorCode: e.errorCode,
      ...(pushback === undefined ? {} : { pushback: String(pushback) }),
      ...(details instanceof Buffer ? { status: decodeStatusDetails(details) } : {}),
    };
  }
  throw new Error('the call succeeded, but it was expected to be refused');
}

/** POST /v2/models/<model>/infer with one FP32 input x of `rows` x 4. */
export async function restInfer(httpPort: number, model: string, rows: number, apiKey?: string): Promise<{ status: number; headers: Headers; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/v2/models/${model}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    body: JSON.stringify({ inputs: [{ name: 'x', shape: [rows, 4], datatype: 'FP32', data: Array.from({ length: rows * 4 }, (_, i) => i) }] }),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** `rows` x 4 FP32 for the `scale` model. */
export function scaleInputs(rows: number) {
  return { x: { data: Float32Array.from({ length: rows * 4 }, (_, i) => i), dims: [rows, 4] } };
}
