/**
 * The grpc-js server interceptor in front of every gRPC service (`new grpc.Server({ interceptors })`, grpc-js
 * >= 1.10): it reads the call's `authorization` metadata and verified client certificate once, when the
 * metadata arrives, and asks the Gate. A refused call is answered at once with the table's status and
 * `amaas-error-code` trailer; it never reaches a handler (nor is its message read). An allowed call goes on
 * with its Identity recorded against its Metadata object, which grpc-js hands to the handler as
 * `call.metadata`, so handlers find it with identityOf(call) and never see credentials.
 *
 * It is also the one place that sees how each call ended, so it writes the audit trail: every refusal (the
 * gate's own, and a handler's PERMISSION_DENIED for a model), every admin call, and with audit.inference
 * every allowed inference call or stream item. The model, version and request id come from the request
 * message (or `x-request-id`), read only when a line is written.
 */
import * as grpc from '@grpc/grpc-js';
import { ERROR_CODE_METADATA_KEY, toServiceError } from '../api/status-map';
import { AmaasError } from '../errors';
import type { AuditEntry, AuditLog } from './audit-log';
import { type Decision, type Gate, UNAUTHENTICATED_MESSAGE } from './gate';
import { Access, methodAccess } from './method-scopes';
import type { Identity } from './types';

/**
 * Where the gate leaves a call's Identity: on the Metadata object grpc-js hands to the handler. A symbol-keyed
 * property (no string key a client could send; metadata entries live elsewhere) rather than a WeakMap, whose
 * entries for millions of short-lived calls cost the garbage collector more.
 */
const IDENTITY = Symbol('amaas.identity');
type WithIdentity = grpc.Metadata & { [IDENTITY]?: Identity };

/** The caller of a call the gate let through; undefined when no gate runs (auth is off). */
export function identityOf(call: { readonly metadata: grpc.Metadata }): Identity | undefined {
  return (call.metadata as WithIdentity)[IDENTITY];
}

/** The one value of a metadata key; '' (which no credential parses as) when it is sent more than once. */
function single(metadata: grpc.Metadata, key: string): string | undefined {
  const values = metadata.get(key);
  if (values.length === 0) return undefined;
  return values.length === 1 ? String(values[0]) : '';
}

/** The fields an audit line takes from a request message, whichever protocol it is. */
interface Described {
  readonly model?: string;
  readonly version?: string;
  readonly id: string;
}

const text = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));

function describe(message: unknown): Described {
  // amaas.v1 Predict / ModelRepositoryService, OIP ModelInfer / repository (model_name), OIP metadata (name);
  // a BatchPredict item wraps its request.
  const m = ((message as { request?: unknown })?.request ?? message) as Record<string, unknown> | null;
  if (!m || typeof m !== 'object') return { id: '' };
  return {
    model: text(m.model_name ?? m.name) || undefined,
    version: text(m.model_version ?? m.version),
    id: text(m.id) ?? '',
  };
}

/** A stream item's answer: its id and, when it failed, its error code (BatchPredict status, ModelStreamInfer error_message). */
function itemOutcome(response: unknown): { id: string; errorCode: string } {
  const r = response as {
    id?: string;
    status?: { error_code?: string };
    error_message?: string;
    infer_response?: { id?: string };
  };
  if (r?.status) return { id: r.id ?? '', errorCode: r.status.error_code ?? '' };
  const errorCode = r?.error_message ? (/\] (AMAAS_ERR_[A-Z_]+):/.exec(r.error_message)?.[1] ?? 'AMAAS_ERR_INTERNAL') : '';
  return { id: r?.infer_response?.id ?? '', errorCode };
}

/** What a decision that threw becomes (JwtVerifier.verify never rejects; this is the fail-closed backstop). */
const UNVERIFIED: Decision = { allowed: false, error: new AmaasError('AMAAS_ERR_UNAUTHENTICATED', UNAUTHENTICATED_MESSAGE), reason: 'credentials not verified', tenant: '', keyId: '' };

const DENIALS = new Set(['AMAAS_ERR_PERMISSION_DENIED', 'AMAAS_ERR_UNAUTHENTICATED']);

export interface GrpcGateOptions {
  readonly gate: Gate;
  /** null: no audit trail (auth is off). */
  readonly audit: AuditLog | null;
}

export function grpcGate({ gate, audit }: GrpcGateOptions): grpc.ServerInterceptor {
  return (descriptor, call) => {
    const method = descriptor.path;
    const access = methodAccess(method);
    let metadata: grpc.Metadata | null = null;
    let identity: Identity | null = null;
    const line = (decision: 'allow' | 'deny', reason: string, d: Described, who: { tenant: string; keyId: string } = identity ?? { tenant: '', keyId: '' }): void => {
      const requestId = d.id || (metadata ? single(metadata, 'x-request-id') : undefined);
      const entry: AuditEntry = { tenant: who.tenant, keyId: who.keyId, peer: call.getPeer(), method, model: d.model, version: d.version, decision, reason, requestId };
      audit!.record(entry);
    };
    // What the audit trail needs to see of the call beyond its metadata.
    const watchOutcome = audit !== null && gate.authOn;
    const unaryRequest = !descriptor.requestStream;
    const infer = access === 'infer';
    let request: unknown = undefined;
    /** What the audit line of each stream item in flight needs (never the item itself: it holds tensors). */
    const items = new Map<string, Described>();

    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (md, nextMetadata) => {
            metadata = md;
            const decide = (decision: Decision): void => {
              if (!decision.allowed) {
                if (audit && gate.authOn) line('deny', decision.reason, { id: '' }, decision);
                const e = toServiceError(decision.error);
                call.sendStatus({ code: e.code, details: e.details, metadata: e.metadata });
                return;
              }
              identity = decision.identity;
              (md as WithIdentity)[IDENTITY] = decision.identity;
              nextMetadata(md);
            };
            const decision = gate.check(access, { authorization: single(md, 'authorization'), peerCertificate: call.getAuthContext().sslPeerCertificate ?? null }, method);
            // A JWT's decision is a Promise: grpc-js holds the call's messages until nextMetadata (or sendStatus).
            if (decision instanceof Promise) decision.then(decide, () => decide(UNVERIFIED));
            else decide(decision);
          },
          onReceiveMessage: watchOutcome
            ? (message, nextMessage) => {
                if (unaryRequest) request = message;
                else if (infer) {
                  const d = describe(message);
                  items.set(d.id, d);
                }
                nextMessage(message);
              }
            : undefined,
        }),
      sendMessage:
        watchOutcome && !unaryRequest && infer
          ? (response, nextResponse) => {
              const { id, errorCode } = itemOutcome(response);
              const item = items.get(id) ?? { id };
              items.delete(id);
              if (DENIALS.has(errorCode)) line('deny', 'model not allowed or not found', item);
              else if (audit!.inference) line('allow', errorCode ? `allowed; failed ${errorCode}` : 'allowed', item);
              nextResponse(response);
            }
          : undefined,
      sendStatus: watchOutcome
        ? (status, nextStatus) => {
            if (identity !== null && unaryRequest) auditUnary(status, access);
            nextStatus(status);
          }
        : undefined,
    });

    function auditUnary(status: { code: grpc.status; metadata?: grpc.Metadata | null }, a: Access | undefined): void {
      const errorCode = status.code === grpc.status.OK ? '' : String(status.metadata?.get(ERROR_CODE_METADATA_KEY)[0] ?? '');
      if (DENIALS.has(errorCode)) line('deny', 'model not allowed or not found', describe(request));
      else if (a === 'admin' || (a === 'infer' && audit!.inference)) line('allow', errorCode ? `allowed; failed ${errorCode}` : 'allowed', describe(request));
    }
  };
}
