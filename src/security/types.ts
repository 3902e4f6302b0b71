/**
 * The shapes the security layer shares with the rest of the server: who a caller is (Identity), what a tenants
 * file says once validated (TenantPolicy), and what a caller presented (Credentials). The rest of amaas sees
 * only Identity; keys and certificates stay inside src/security/.
 */
import type { PeerCertificate } from 'node:tls';
import type { TenantLimits, TenantPriority } from '../config/tenancy-schema';

/** infer: run models; metadata: list and describe them (and reflection); admin: load, unload, pin, roll back. */
export type Scope = 'infer' | 'metadata' | 'admin';
export const SCOPES: readonly Scope[] = ['infer', 'metadata', 'admin'];

/** How the caller proved who it is. 'none': auth is off (loopback or allow_unauthenticated). */
export type AuthMethod = 'none' | 'api_key' | 'jwt' | 'certificate';

export interface Identity {
  /** Tenant name from the tenants file (or the JWT claim); '' when auth is off. */
  readonly tenant: string;
  /** The key's id, the JWT's subject, or the certificate's name: safe to log; never the secret. */
  readonly keyId: string;
  readonly method: AuthMethod;
  readonly scopes: ReadonlySet<Scope>;
  /** Whether the tenant's model patterns cover this model name (true for every name when auth is off). */
  canUse(model: string): boolean;
}

/** One API key as the tenants file holds it: only its SHA-256 is known to the server. */
export interface ApiKeyEntry {
  readonly id: string;
  /** SHA-256 of the key's UTF-8 bytes, 32 bytes. */
  readonly sha256: Buffer;
  /** Past this instant the key is refused; null = does not expire. */
  readonly expires: Date | null;
}

export interface Tenant {
  readonly name: string;
  readonly keys: readonly ApiKeyEntry[];
  /** Glob patterns (`*` any run of characters, `?` one character); empty = no model. */
  readonly models: readonly string[];
  readonly scopes: ReadonlySet<Scope>;
  /** Names a client certificate may carry (SAN URI, SAN DNS or CN, per tls.tenant_from) that map to this tenant. */
  readonly certificates: readonly string[];
  /** Rate and concurrency limits (src/tenancy/ enforces them); an absent key is no limit. */
  readonly limits: TenantLimits;
  /** Share of a contended model version relative to other tenants (fair scheduling); default 1. */
  readonly weight: number;
  /** Scheduling priority, and the cap on what its requests ask for; default normal. */
  readonly priority: TenantPriority;
}

/** A validated, frozen tenants file. A reload builds a new one and swaps it whole. */
export interface TenantPolicy {
  readonly tenants: ReadonlyMap<string, Tenant>;
}

/**
 * What checking one credential (an API key, a JWT) found: the caller's Identity, or why it was refused. The
 * reason, tenant and key id of a refusal are for the server log and the audit trail only; callers always get
 * the gate's one UNAUTHENTICATED message.
 */
export type CredentialCheck<Reason extends string = string> =
  | { readonly ok: true; readonly identity: Identity }
  | { readonly ok: false; readonly reason: Reason; readonly tenant: string; readonly keyId: string };

/** What a call presented, gathered by the gRPC interceptor or the HTTP gate. */
export interface Credentials {
  /** The value of the `authorization` metadata/header, or undefined when absent. */
  readonly authorization: string | undefined;
  /** The verified client certificate under mTLS, or null. */
  readonly peerCertificate: PeerCertificate | null;
}
