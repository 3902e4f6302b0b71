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
 * every allowed inference call or stream item. The model and version come from the request message, read
 * only when a line is written; the request id is the call's (observability/request-id.ts: the handler
 * decides it, or the gate when it refuses the call), a stream item's own id when it has one.
 */
import * as grpc from '@grpc/grpc-js';
import { ERROR_CODE_METADATA_KEY, toServiceError } from '../api/status-map';
import { AmaasError } from '../errors';
import { itemRequestId, requestIdMetadata, requestIdOf } from '../observability';
import type { AuditLog } from './audit-log';
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
  /** Told of each call the gate refuses (the refusals metric); never called for an allowed call. */
  readonly onDenied?: () => void;
}

/** What the audit trail needs to watch of a call beyond its metadata; fixed per method. */
const enum Watch {
  Nothing,
  /** A unary call: keep its request, audit by its final status. */
  Unary,
  /** An inference stream: describe each item, audit each answer. */
  InferenceStream,
}

function watchFor(auditing: boolean, access: Access | undefined, requestStream: boolean): Watch {
  if (!auditing) return Watch.Nothing;
  if (!requestStream) return Watch.Unary;
  return access === 'infer' ? Watch.InferenceStream : Watch.Nothing;
}

type Listener = Parameters<grpc.ServerInterceptingCallInterface['start']>[0];
type Status = Parameters<grpc.ServerInterceptingCallInterface['sendStatus']>[0];

/** What every gated call shares: the gate, the audit trail and what the policy needs read per call. */
interface GateContext {
  readonly gate: Gate;
  readonly audit: AuditLog | null;
  readonly auditing: boolean;
  /** A client certificate is read (getAuthContext copies it out of OpenSSL each time) only where one can name a tenant. */
  readonly readsCertificates: boolean;
  readonly onDenied: (() => void) | undefined;
}

const NOBODY = { tenant: '', keyId: '' };

/**
 * One call through the gate. It is both the call the next layer sees and the listener grpc-js's own call
 * reports to, with its state in fields and its steps as methods: one object per call, where grpc-js's generic
 * ServerInterceptingCall takes a listener wrapper and a closure per hook. On the request path of every call,
 * that difference is what a lone request notices (BENCHMARKS.md, "Security layer cost").
 */
class GatedCall implements grpc.ServerInterceptingCallInterface, Listener {
  private listener: Listener | null = null;
  private metadata: grpc.Metadata | null = null;
  private identity: Identity | null = null;
  /** A JWT is being verified: grpc-js holds the messages (nothing reads before the metadata is passed on), but a cancel may come. */
  private deciding = false;
  private cancelled = false;
  private request: unknown = undefined;
  /** What the audit line of each stream item in flight needs (never the item itself: it holds tensors). */
  private items: Map<string, Described> | null = null;

  constructor(
    private readonly next: grpc.ServerInterceptingCallInterface,
    private readonly ctx: GateContext,
    private readonly method: string,
    private readonly access: Access | undefined,
    private readonly watch: Watch,
  ) {}

  start(listener: Listener): void {
    this.listener = listener;
    this.next.start(this);
  }

  onReceiveMetadata(md: grpc.Metadata): void {
    this.metadata = md;
    const peerCertificate = this.ctx.readsCertificates ? (this.next.getAuthContext().sslPeerCertificate ?? null) : null;
    const decision = this.ctx.gate.check(this.access, { authorization: single(md, 'authorization'), peerCertificate }, this.method);
    if (decision instanceof Promise) {
      this.deciding = true;
      decision.then(
        (d) => this.decided(md, d),
        () => this.decided(md, UNVERIFIED),
      );
    } else this.decided(md, decision);
  }

  private decided(md: grpc.Metadata, decision: Decision): void {
    this.deciding = false;
    if (this.cancelled) return;
    if (!decision.allowed) {
      this.ctx.onDenied?.();
      if (this.ctx.auditing) this.line(decision, 'deny', decision.reason, { id: '' });
      const e = toServiceError(decision.error);
      // A refused call gets its request id back too (only refusals pay for it here).
      this.next.sendMetadata(requestIdMetadata(requestIdOf(md)));
      this.next.sendStatus({ code: e.code, details: e.details, metadata: e.metadata });
      return;
    }
    this.identity = decision.identity;
    (md as WithIdentity)[IDENTITY] = decision.identity;
    this.listener!.onReceiveMetadata(md);
  }

  onReceiveMessage(message: unknown): void {
    if (this.watch === Watch.Unary) this.request = message;
    else if (this.watch === Watch.InferenceStream) {
      const d = describe(message);
      (this.items ??= new Map()).set(d.id, d);
    }
    this.listener!.onReceiveMessage(message);
  }

  onReceiveHalfClose(): void {
    this.listener!.onReceiveHalfClose();
  }

  onCancel(): void {
    this.cancelled = true;
    // Before the decision the handler has not started; it learns of nothing it never saw.
    if (!this.deciding) this.listener!.onCancel();
  }

  sendMetadata(metadata: grpc.Metadata): void {
    this.next.sendMetadata(metadata);
  }

  sendMessage(message: unknown, callback: () => void): void {
    if (this.watch === Watch.InferenceStream) this.auditItem(message);
    this.next.sendMessage(message, callback);
  }

  sendStatus(status: Status): void {
    if (this.watch === Watch.Unary && this.identity !== null) this.auditUnary(status);
    this.next.sendStatus(status);
  }

  startRead(): void {
    this.next.startRead();
  }

  getPeer(): string {
    return this.next.getPeer();
  }

  getDeadline(): grpc.Deadline {
    return this.next.getDeadline();
  }

  getHost(): string {
    return this.next.getHost();
  }

  getAuthContext(): ReturnType<grpc.ServerInterceptingCallInterface['getAuthContext']> {
    return this.next.getAuthContext();
  }

  getConnectionInfo(): ReturnType<grpc.ServerInterceptingCallInterface['getConnectionInfo']> {
    return this.next.getConnectionInfo();
  }

  getMetricsRecorder(): ReturnType<grpc.ServerInterceptingCallInterface['getMetricsRecorder']> {
    return this.next.getMetricsRecorder();
  }

  private auditItem(response: unknown): void {
    const { id, errorCode } = itemOutcome(response);
    const item = this.items?.get(id) ?? { id };
    this.items?.delete(id);
    const who = this.identity ?? NOBODY;
    if (DENIALS.has(errorCode)) this.line(who, 'deny', 'model not allowed or not found', item);
    else if (this.ctx.audit!.inference) this.line(who, 'allow', errorCode ? `allowed; failed ${errorCode}` : 'allowed', item);
  }

  private auditUnary(status: Status): void {
    const errorCode = status.code === grpc.status.OK ? '' : String(status.metadata?.get(ERROR_CODE_METADATA_KEY)[0] ?? '');
    const who = this.identity ?? NOBODY;
    if (DENIALS.has(errorCode)) this.line(who, 'deny', 'model not allowed or not found', describe(this.request));
    else if (this.access === 'admin' || (this.access === 'infer' && this.ctx.audit!.inference)) {
      this.line(who, 'allow', errorCode ? `allowed; failed ${errorCode}` : 'allowed', describe(this.request));
    }
  }

  private line(who: { tenant: string; keyId: string }, decision: 'allow' | 'deny', reason: string, d: Described): void {
    const md = this.metadata;
    const requestId = md === null ? d.id || undefined : this.watch === Watch.InferenceStream ? itemRequestId(d.id, requestIdOf(md)) : requestIdOf(md, d.id);
    this.ctx.audit!.record({ tenant: who.tenant, keyId: who.keyId, peer: this.next.getPeer(), method: this.method, model: d.model, version: d.version, decision, reason, requestId });
  }
}

/** The interceptor: a GatedCall per call, with what is fixed per method worked out from its descriptor. */
export function grpcGate({ gate, audit, onDenied }: GrpcGateOptions): grpc.ServerInterceptor {
  const auditing = audit !== null && gate.authOn;
  const ctx: GateContext = { gate, audit, auditing, readsCertificates: gate.readsCertificates, onDenied };
  return (descriptor, call) => {
    const access = methodAccess(descriptor.path);
    const gated = new GatedCall(call, ctx, descriptor.path, access, watchFor(auditing, access, descriptor.requestStream));
    // grpc-js types an interceptor's result as its ServerInterceptingCall class, but uses only the interface
    // (getServerInterceptingCall chains interceptors through ServerInterceptingCallInterface alone).
    return gated as unknown as grpc.ServerInterceptingCall;
  };
}
