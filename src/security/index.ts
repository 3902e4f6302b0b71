/**
 * The security layer's one entry point, which server.ts wires: the tenants file (watched), the audit trail,
 * the Gate, the gRPC interceptor built on it, and the same decision for the HTTP binding. The rest of amaas
 * sees only what this exports: identityOf(call) for handlers, assertModelVisible/visibleModels for the
 * per-model checks, and the startup rule that keeps an unauthenticated server on loopback.
 */
import type * as grpc from '@grpc/grpc-js';
import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import type { ServerConfig } from '../config/schema';
import { AmaasError } from '../errors';
import { createLogger } from '../observability/logging';
import { AuditLog } from './audit-log';
import { verifiedPeerCertificate } from './certificate-identity';
import { Decision, Gate } from './gate';
import { grpcGate } from './grpc-gate';
import { JwtVerifier } from './jwt';
import { httpAccess } from './method-scopes';
import { TenantsWatcher } from './tenants-watcher';
import type { Identity } from './types';

export { identityOf } from './grpc-gate';
export { assertModelVisible, visibleModels } from './model-access';
export { createTlsServerCredentials } from './tls-credentials';
export { createHttpTransport } from './tls-http';
export { createKey, tenantsFileLine } from './key-generator';
export { httpAccess } from './method-scopes';
export type { Identity } from './types';

const log = createLogger('security');

/** What the HTTP binding hands over of a request: enough to authenticate it and to audit the decision. */
export interface HttpCallInfo {
  readonly method: string;
  readonly segments: readonly string[];
  readonly headers: IncomingHttpHeaders;
  /** The request's socket (a TLSSocket under HTTPS, where a verified client certificate may name the tenant). */
  readonly socket: unknown;
  /** The request id the HTTP binding assigned (observability/request-id.ts), for audit lines. */
  readonly requestId?: string;
}

export interface Security {
  /** Whether callers must prove who they are (auth.tenants_file is set). */
  readonly authOn: boolean;
  /** For `new grpc.Server({ interceptors })`; empty when auth is off (no cost per call then). */
  readonly interceptors: grpc.ServerInterceptor[];
  /**
   * The caller of an HTTP request, or throws AMAAS_ERR_UNAUTHENTICATED / AMAAS_ERR_PERMISSION_DENIED (audited)
   * for one the route's scope refuses. Health routes pass without credentials unless auth.public_health is false.
   * A Promise only when a JWT is presented (auth.jwt); API keys and certificates are decided synchronously.
   */
  authenticateHttp(req: HttpCallInfo): Identity | undefined | Promise<Identity | undefined>;
  /**
   * Audits how an HTTP request the gate let through ended (the gRPC interceptor sees this itself): a
   * PERMISSION_DENIED for a model, and with audit.inference every inference. `errorCode` '' means it succeeded.
   */
  auditHttpOutcome(req: HttpCallInfo, identity: Identity | undefined, errorCode: string, model?: string): void;
  /** The tenants watcher, when there is a tenants file (tests wait on its reloads). */
  readonly tenants: TenantsWatcher | null;
  /** The JWT verifier, when auth.jwt is set (tests wait on its JWKS file reloads). */
  readonly jwt: JwtVerifier | null;
  close(): Promise<void>;
}

/** 127.0.0.0/8, ::1 (and ::ffff:127.x), localhost: the hosts an unauthenticated server may bind. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

export const UNAUTHENTICATED_BIND_MESSAGE = (host: string) =>
  `refusing to serve on ${host} without authentication: anyone who can reach it could run, list, unload and ` +
  `roll back every model. Configure auth.tenants_file (API keys; see README "Security"), or pass ` +
  `--allow-unauthenticated (allow_unauthenticated: true) to serve without auth on purpose.`;

/**
 * Secure by default: with no auth configured (no tenants file, no client certificates) a non-loopback host
 * stops startup unless allow_unauthenticated is set, which then warns at every start.
 */
export function assertSafeBinding(config: ServerConfig): void {
  const configured = config.auth.tenantsFile !== null || (config.tls?.clientCaFile ?? null) !== null;
  if (configured || isLoopbackHost(config.host)) return;
  if (!config.allowUnauthenticated) throw new AmaasError('AMAAS_ERR_CONFIG_INVALID', UNAUTHENTICATED_BIND_MESSAGE(config.host));
  log.warn('serving WITHOUT authentication on a non-loopback host (allow_unauthenticated): every caller may use and manage every model', {
    host: config.host,
  });
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? (v.length === 1 ? v[0] : '') : v);

/** What the rest of the server may be told of the gate's decisions (metrics); plain callbacks, all optional. */
export interface SecurityHooks {
  /** A gRPC call or HTTP request the gate refused (UNAUTHENTICATED or PERMISSION_DENIED for its scope). */
  readonly onDenied?: () => void;
}

export function createSecurity(config: ServerConfig, hooks: SecurityHooks = {}): Security {
  const tenants = config.auth.tenantsFile ? TenantsWatcher.start(config.auth.tenantsFile) : null;
  let audit: AuditLog | null = null;
  let jwt: JwtVerifier | null = null;
  try {
    // The schema refuses auth.jwt without auth.tenants_file; a JWT's tenant must be one of the file's.
    jwt = tenants && config.auth.jwt ? JwtVerifier.start(config.auth.jwt) : null;
    audit = tenants ? AuditLog.open({ file: config.audit.file, inference: config.audit.inference }) : null;
  } catch (err) {
    tenants?.close();
    jwt?.close();
    throw err;
  }
  const gate = new Gate({
    policy: tenants ? () => tenants.current() : null,
    tenantFrom: config.tls?.clientCaFile ? config.tls.tenantFrom : null,
    publicHealth: config.auth.publicHealth,
    jwt,
  });
  const peerOf = (socket: unknown) => {
    const s = socket as { remoteAddress?: string; remotePort?: number } | null;
    return s?.remoteAddress ? `${s.remoteAddress}:${s.remotePort ?? ''}` : 'unknown';
  };
  const methodOf = (req: HttpCallInfo) => `HTTP ${req.method} /${req.segments.join('/')}`;
  const requestIdOf = (req: HttpCallInfo) => req.requestId ?? first(req.headers['x-request-id']);
  const record = (req: HttpCallInfo, who: { tenant: string; keyId: string }, decision: 'allow' | 'deny', reason: string, model?: string) =>
    audit?.record({
      tenant: who.tenant,
      keyId: who.keyId,
      peer: peerOf(req.socket),
      method: methodOf(req),
      model,
      decision,
      reason,
      requestId: requestIdOf(req),
    });

  return {
    authOn: gate.authOn,
    interceptors: gate.authOn ? [grpcGate({ gate, audit, onDenied: hooks.onDenied })] : [],
    tenants,
    jwt,
    authenticateHttp(req) {
      if (!gate.authOn) return undefined;
      const access = httpAccess(req.method, req.segments);
      const credentials = { authorization: first(req.headers.authorization), peerCertificate: verifiedPeerCertificate(req.socket) };
      const decision = access === undefined ? gate.identify(credentials) : gate.check(access, credentials, 'this endpoint');
      const decide = (d: Decision): Identity | undefined => {
        if (!d.allowed) {
          hooks.onDenied?.();
          record(req, d, 'deny', d.reason);
          throw d.error;
        }
        return d.identity.method === 'none' ? undefined : d.identity;
      };
      return decision instanceof Promise ? decision.then(decide) : decide(decision);
    },
    auditHttpOutcome(req, identity, errorCode, model) {
      if (!audit || !identity) return;
      if (errorCode === 'AMAAS_ERR_PERMISSION_DENIED') record(req, identity, 'deny', 'model not allowed or not found', model);
      else if (audit.inference && httpAccess(req.method, req.segments) === 'infer') {
        record(req, identity, 'allow', errorCode ? `allowed; failed ${errorCode}` : 'allowed', model);
      }
    },
    async close() {
      tenants?.close();
      jwt?.close();
      await audit?.close();
    },
  };
}
