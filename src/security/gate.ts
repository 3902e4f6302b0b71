/**
 * The decision every call passes, whatever its protocol: who is calling (from the credentials it presented)
 * and whether the method or route allows that caller (method-scopes.ts). The gRPC interceptor
 * (grpc-gate.ts) and the HTTP binding (through index.ts) both ask this one object, so they accept and refuse
 * the same callers with the same codes and messages. Per-model checks come later, where the model name is
 * known (model-access.ts).
 *
 * Callers get one message for every authentication failure (absent, malformed, unknown, expired), so it says
 * nothing about which key ids exist; the precise reason goes only to the audit trail.
 */
import { AmaasError } from '../errors';
import { anonymousIdentity, checkKey, identityForCertificate, parseBearer } from './api-keys';
import { TenantFrom, certificateName } from './certificate-identity';
import { JwtCheck, JwtVerifier, looksLikeJwt } from './jwt';
import type { Access } from './method-scopes';
import type { Credentials, Identity, TenantPolicy } from './types';

export const UNAUTHENTICATED_MESSAGE = 'missing or invalid credentials: send "authorization: Bearer <API key>"';

export type Decision =
  | { readonly allowed: true; readonly identity: Identity }
  | {
      readonly allowed: false;
      readonly error: AmaasError;
      /** For the audit trail only. */
      readonly reason: string;
      readonly tenant: string;
      readonly keyId: string;
    };

export interface GateOptions {
  /** The policy in force now, or null when auth is off (every caller is anonymous with every scope). */
  readonly policy: (() => TenantPolicy) | null;
  /** Which name of a verified client certificate names its tenant; null: certificates name nobody. */
  readonly tenantFrom: TenantFrom | null;
  /** Health probes answer without credentials. */
  readonly publicHealth: boolean;
  /** Verifies bearer tokens shaped like a JWT (auth.jwt); null: every bearer token is an API key. */
  readonly jwt?: JwtVerifier | null;
}

/** A decision is synchronous, except when a JWT is presented (its signature check is async). */
export type MaybeAsync<T> = T | Promise<T>;

function refused(code: 'AMAAS_ERR_UNAUTHENTICATED' | 'AMAAS_ERR_PERMISSION_DENIED', message: string, reason: string, tenant = '', keyId = ''): Decision {
  return { allowed: false, error: new AmaasError(code, message), reason, tenant, keyId };
}

/** A JWT check as a decision: the same message as a bad API key, the precise reason only for the audit trail. */
function jwtDecision(j: JwtCheck): Decision {
  return j.ok ? { allowed: true, identity: j.identity } : refused('AMAAS_ERR_UNAUTHENTICATED', UNAUTHENTICATED_MESSAGE, j.reason, j.tenant, j.keyId);
}

export class Gate {
  private readonly allowAll: Decision = { allowed: true, identity: anonymousIdentity() };

  constructor(private readonly options: GateOptions) {}

  /** Whether a client certificate can name a tenant (mTLS with tls.tenant_from): only then is it read per call. */
  get readsCertificates(): boolean {
    return this.options.policy !== null && this.options.tenantFrom !== null;
  }

  /** Whether callers must prove who they are (a tenants file is configured). */
  get authOn(): boolean {
    return this.options.policy !== null;
  }

  /**
   * Decides one call. `access` undefined is a method the table does not know: refused when auth is on.
   * `what` names the method or endpoint in a scope refusal (server-side text, never client-given).
   */
  check(access: Access | undefined, credentials: Credentials, what: string): MaybeAsync<Decision> {
    if (this.options.policy === null) return this.allowAll;
    if (access === 'health' && this.options.publicHealth) return this.allowAll;
    const who = this.authenticate(this.options.policy(), credentials);
    return who instanceof Promise ? who.then((w) => this.authorize(w, access, what)) : this.authorize(who, access, what);
  }

  /** The method's scope check for an authenticated caller. */
  private authorize(who: Decision, access: Access | undefined, what: string): Decision {
    if (!who.allowed) return who;
    const { identity } = who;
    if (access === undefined) {
      return refused('AMAAS_ERR_PERMISSION_DENIED', `${what} is open to no tenant`, 'method not in the scope table', identity.tenant, identity.keyId);
    }
    if (access !== 'health' && !identity.scopes.has(access)) {
      return refused(
        'AMAAS_ERR_PERMISSION_DENIED',
        `${what} needs the '${access}' scope, which this caller's tenant does not have`,
        `scope ${access} missing`,
        identity.tenant,
        identity.keyId,
      );
    }
    return who;
  }

  /** Authentication alone, whatever the method (for a REST path that is no endpoint: a valid caller gets the 400). */
  identify(credentials: Credentials): MaybeAsync<Decision> {
    return this.options.policy === null ? this.allowAll : this.authenticate(this.options.policy(), credentials);
  }

  /** A JWT (with auth.jwt) or an API key when one is presented (a bad one is refused, never passed over for a certificate); else the certificate. */
  private authenticate(policy: TenantPolicy, c: Credentials): MaybeAsync<Decision> {
    if (c.authorization !== undefined) {
      const key = parseBearer(c.authorization);
      if (key === null) return refused('AMAAS_ERR_UNAUTHENTICATED', UNAUTHENTICATED_MESSAGE, 'malformed credentials');
      const jwt = this.options.jwt;
      if (jwt && looksLikeJwt(key)) return jwt.verify(key, policy).then(jwtDecision);
      const k = checkKey(policy, key);
      if (k.ok) return { allowed: true, identity: k.identity };
      return refused('AMAAS_ERR_UNAUTHENTICATED', UNAUTHENTICATED_MESSAGE, k.reason === 'expired key' ? 'expired key' : 'invalid credentials', k.tenant, k.keyId);
    }
    if (c.peerCertificate && this.options.tenantFrom) {
      const name = certificateName(c.peerCertificate, this.options.tenantFrom);
      const identity = name === null ? null : identityForCertificate(policy, name);
      if (identity) return { allowed: true, identity };
      return refused('AMAAS_ERR_UNAUTHENTICATED', UNAUTHENTICATED_MESSAGE, 'certificate names no tenant', '', name ?? '');
    }
    return refused('AMAAS_ERR_UNAUTHENTICATED', UNAUTHENTICATED_MESSAGE, 'no credentials');
  }
}
