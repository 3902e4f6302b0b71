/**
 * The server settings of the security layer (src/security/): TLS, auth (API keys, JWTs), the loopback
 * exception and the audit trail, kept beside the main schema so it stays readable. Each key is spread into
 * ServerConfigSchema and resolved into ServerConfig from here.
 */
import path from 'node:path';
import { z } from 'zod';

/** Signature algorithms auth.jwt.algorithms may name. */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

export const SecuritySettings = {
  /**
   * TLS for the gRPC port and the HTTP binding (PEM files). Unset: clear text. The files are checked at
   * startup (a bad one stops it, naming the file) and every second after: a changed pair is used for new
   * connections without a restart; a bad change is logged and the previous certificate stays.
   */
  tls: z
    .object({
      /** The server certificate (chain), PEM. */
      cert_file: z.string().min(1),
      /** Its private key, PEM, unencrypted. */
      key_file: z.string().min(1),
      /** CA bundle, PEM: clients must then present a certificate signed by it (mTLS); public roots never count. */
      client_ca_file: z.string().min(1).optional(),
      /** Which name of a verified client certificate names its tenant: san_uri (default), san_dns or cn. */
      tenant_from: z.enum(['san_uri', 'san_dns', 'cn']).optional(),
    })
    .strict()
    .refine((t) => t.tenant_from === undefined || t.client_ca_file !== undefined, {
      path: ['tenant_from'],
      message: 'needs tls.client_ca_file (client certificates are asked for only then)',
    })
    .optional(),
  /**
   * Who may call (src/security/). Unset: every caller is anonymous with every scope, which the server allows
   * only on a loopback host unless allow_unauthenticated is true.
   */
  auth: z
    .object({
      /**
       * Tenants, their API keys (SHA-256 only), model patterns and scopes; YAML or JSON (README, "Security").
       * Reloaded when it changes; a broken edit is logged and the previous file stays in force.
       */
      tenants_file: z.string().min(1).optional(),
      /**
       * grpc.health.v1, the Open Inference Protocol's ServerLive/ServerReady and the REST health routes answer
       * without credentials (probes carry none). false: they need a valid key or certificate like the rest.
       */
      public_health: z.boolean().default(true),
      /**
       * JWT bearer tokens beside API keys (src/security/jwt.ts; docs/tenants.md, "JWT bearer tokens"). A bearer
       * token shaped like a JWT is verified against the JWKS; its tenant claim must name a tenant of the
       * tenants file, whose models and scopes it gets (the token's scopes claim can only narrow them).
       */
      jwt: z
        .object({
          /** Required `iss`. */
          issuer: z.string().min(1),
          /** Required `aud` (the token's aud must hold it, or one of these). */
          audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
          /** A JWKS (JSON, `{ "keys": [...] }`, public keys only); reloaded when it changes. */
          jwks_file: z.string().min(1).optional(),
          /** An http(s) URL serving the JWKS (fetched when a token names an unknown kid; cached). */
          jwks_url: z
            .string()
            .min(1)
            .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), 'must be an http:// or https:// URL')
            .optional(),
          /** The claim naming the tenant. */
          tenant_claim: z.string().min(1).default('tenant'),
          /** The claim holding the token's scopes (space-separated string or array); absent = the tenant's. */
          scopes_claim: z.string().min(1).default('scope'),
          /** Leeway for exp and nbf, in seconds. */
          clock_tolerance_s: z.number().int().min(0).max(3600).default(30),
          /** Signature algorithms accepted (asymmetric only; `none` and HS* never). */
          algorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).default(['RS256', 'ES256', 'EdDSA']),
        })
        .strict()
        .refine((j) => (j.jwks_file === undefined) !== (j.jwks_url === undefined), {
          message: 'needs exactly one of jwks_file and jwks_url',
        })
        .optional(),
    })
    .strict()
    .refine((a) => a.jwt === undefined || a.tenants_file !== undefined, {
      path: ['jwt'],
      message: "needs auth.tenants_file: a token's tenant claim must name a tenant there, which gives its models and scopes",
    })
    .default({ public_health: true }),
  /**
   * Serve with no auth on a non-loopback host (also the flag --allow-unauthenticated). Without it, binding
   * any address but 127.0.0.0/8, ::1 or localhost with no auth configured stops startup. A warning is logged
   * at every start with it.
   */
  allow_unauthenticated: z.boolean().default(false),
  /** The audit trail: one JSON line per denied call and per admin call (README, "Security"). */
  audit: z
    .object({
      /** Where the lines go (appended). Unset: stdout. */
      file: z.string().min(1).optional(),
      /** Also a line for every allowed inference call. */
      inference: z.boolean().default(false),
    })
    .strict()
    .default({ inference: false }),
};

const SecurityObject = z.object(SecuritySettings);
type SecurityParsed = z.output<typeof SecurityObject>;

export interface SecurityConfig {
  /** null: clear text. */
  readonly tls: TlsConfig | null;
  readonly auth: AuthConfig;
  /** allow_unauthenticated: serve without auth on a non-loopback host. */
  readonly allowUnauthenticated: boolean;
  readonly audit: AuditConfig;
}

export interface AuthConfig {
  /** Absolute path of the tenants file; null: no API keys (auth is off unless mTLS is on). */
  readonly tenantsFile: string | null;
  readonly publicHealth: boolean;
  /** null: bearer tokens are API keys only. */
  readonly jwt: JwtConfig | null;
}

/** `auth.jwt`, the JWKS path made absolute. */
export interface JwtConfig {
  readonly issuer: string;
  readonly audience: string | readonly string[];
  /** Exactly one of jwksFile and jwksUrl is set. */
  readonly jwksFile: string | null;
  readonly jwksUrl: string | null;
  readonly tenantClaim: string;
  readonly scopesClaim: string;
  readonly clockToleranceS: number;
  readonly algorithms: readonly (typeof JWT_ALGORITHMS)[number][];
}

export interface AuditConfig {
  /** Absolute path of the audit file; null: stdout. */
  readonly file: string | null;
  readonly inference: boolean;
}

/** `tls.*`, with paths made absolute (the watcher does not depend on the working directory). */
export interface TlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  /** null: no client certificates are asked for. */
  readonly clientCaFile: string | null;
  readonly tenantFrom: 'san_uri' | 'san_dns' | 'cn';
}

export function resolveSecurity(c: SecurityParsed): SecurityConfig {
  return {
    tls: c.tls
      ? Object.freeze({
          certFile: path.resolve(c.tls.cert_file),
          keyFile: path.resolve(c.tls.key_file),
          clientCaFile: c.tls.client_ca_file === undefined ? null : path.resolve(c.tls.client_ca_file),
          tenantFrom: c.tls.tenant_from ?? 'san_uri',
        })
      : null,
    auth: Object.freeze({
      tenantsFile: c.auth.tenants_file === undefined ? null : path.resolve(c.auth.tenants_file),
      publicHealth: c.auth.public_health,
      jwt: c.auth.jwt
        ? Object.freeze({
            issuer: c.auth.jwt.issuer,
            audience: typeof c.auth.jwt.audience === 'string' ? c.auth.jwt.audience : Object.freeze([...c.auth.jwt.audience]),
            jwksFile: c.auth.jwt.jwks_file === undefined ? null : path.resolve(c.auth.jwt.jwks_file),
            jwksUrl: c.auth.jwt.jwks_url ?? null,
            tenantClaim: c.auth.jwt.tenant_claim,
            scopesClaim: c.auth.jwt.scopes_claim,
            clockToleranceS: c.auth.jwt.clock_tolerance_s,
            algorithms: Object.freeze([...c.auth.jwt.algorithms]),
          })
        : null,
    }),
    allowUnauthenticated: c.allow_unauthenticated,
    audit: Object.freeze({ file: c.audit.file === undefined ? null : path.resolve(c.audit.file), inference: c.audit.inference }),
  };
}
