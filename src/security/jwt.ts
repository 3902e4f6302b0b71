/**
 * JWT bearer tokens (auth.jwt), verified with `jose`: the signature against a JWKS (a file, reloaded when it
 * changes, or an http(s) URL that jose fetches and caches), then `iss`, `aud`, `exp` (required) and `nbf`
 * with clock_tolerance_s of leeway, and only the configured asymmetric algorithms (never `none` or HS*).
 *
 * A token names its tenant in the tenant claim; that tenant must be in the tenants file, which gives its
 * model patterns and scopes. The scopes claim (a space-separated string or an array), when present, narrows
 * the tenant's scopes to the intersection: a token can never widen them. The identity's key id is the
 * token's `sub` (or `jti`), never the token.
 *
 * Every refusal carries a precise reason for the audit trail; callers get the gate's one UNAUTHENTICATED
 * message whatever it was. Nothing here logs or returns a token or a claim value other than sub/jti and
 * the tenant name.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { JWTPayload, createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { JWTVerifyGetKey, JSONWebKeySet } from 'jose';
import type { JwtConfig } from '../config/security-schema';
import { AmaasError, toAmaasError } from '../errors';
import { createLogger } from '../observability/logging';
import { ModelMatcher, matcherFor } from './model-patterns';
import { CredentialCheck, Identity, SCOPES, Scope, Tenant, TenantPolicy } from './types';
import { fileSignature } from './file-signature';

const log = createLogger('security');

/** How often the JWKS file is stat'ed for a change (a rotated key is in force within about a second). */
export const JWKS_POLL_INTERVAL_MS = 1000;
/** Largest JWKS file read. */
export const MAX_JWKS_FILE_BYTES = 1024 * 1024;
/** Most keys a JWKS file may hold. */
const MAX_JWKS_KEYS = 1000;
/** sub / jti longer than this is cut in the identity's key id (it goes into every audit line). */
const MAX_KEY_ID_CHARS = 256;

/** Three base64url segments (the signature may be empty, so an unsigned token is refused as a JWT, by name). */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Whether a bearer token has a JWT's shape (then, with auth.jwt set, it is verified as one, never as an API key). */
export function looksLikeJwt(token: string): boolean {
  return JWT_SHAPE.test(token);
}

/** What verifying a token found (types.ts CredentialCheck), with jose's precise reason on a refusal. */
export type JwtCheck = CredentialCheck;

/**
 * Reads and checks a JWKS file: JSON `{ "keys": [...] }`, 1..1000 public RSA, EC or OKP keys that Node can
 * import. Private or symmetric key material is refused (a JWKS the server reads holds public keys only).
 * Throws AMAAS_ERR_CONFIG_INVALID naming the file and the key's index, never a value from it.
 */
export function readJwksFile(file: string): JSONWebKeySet {
  const bad = (why: string) => new AmaasError('AMAAS_ERR_CONFIG_INVALID', `auth.jwt.jwks_file ${file}: ${why}`);
  let text: string;
  try {
    const st = fs.statSync(file);
    if (st.size > MAX_JWKS_FILE_BYTES) throw bad(`larger than ${MAX_JWKS_FILE_BYTES} bytes`);
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof AmaasError) throw err;
    throw bad(`cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw bad('is not valid JSON');
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Array.isArray(keys)) throw bad('must be a JSON object with a "keys" array');
  if (keys.length === 0) throw bad('"keys" is empty');
  if (keys.length > MAX_JWKS_KEYS) throw bad(`more than ${MAX_JWKS_KEYS} keys`);
  keys.forEach((key: unknown, i) => {
    if (typeof key !== 'object' || key === null || Array.isArray(key)) throw bad(`keys.${i}: must be an object`);
    const k = key as Record<string, unknown>;
    if (k.kty === 'oct') throw bad(`keys.${i}: symmetric keys are not accepted (only RSA, EC and OKP public keys)`);
    if ('d' in k || 'p' in k || 'q' in k) throw bad(`keys.${i}: holds private key material; a JWKS file holds public keys only`);
    try {
      crypto.createPublicKey({ key: k as crypto.JsonWebKey, format: 'jwk' });
    } catch {
      throw bad(`keys.${i}: not a usable RSA, EC or OKP public key`);
    }
  });
  return parsed as JSONWebKeySet;
}

/** jose's error code and message (jose's own text, which holds no claim value or token), bounded. */
function joseReason(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'jwt expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `jwt claim ${err.claim} invalid: ${err.reason}`.slice(0, 200);
  if (err instanceof errors.JOSEAlgNotAllowed) return 'jwt alg not allowed';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'jwt signature invalid';
  if (err instanceof errors.JWKSNoMatchingKey) return 'jwt signed by no key of the JWKS';
  if (err instanceof errors.JOSEError) return `jwt invalid: ${err.code}`.slice(0, 200);
  return `jwt not verified: ${String((err as Error)?.message ?? err).slice(0, 160)}`;
}

/** A claim (after the signature was verified) as a key id: sub, else jti, else ''. */
function keyIdOf(payload: JWTPayload | undefined): string {
  const id = typeof payload?.sub === 'string' && payload.sub ? payload.sub : typeof payload?.jti === 'string' ? payload.jti : '';
  return id.slice(0, MAX_KEY_ID_CHARS);
}

/** The scopes a claim value names (unknown names dropped), or null when it is neither a string nor an array of strings. */
function claimedScopes(value: unknown): Set<string> | null {
  if (typeof value === 'string') return new Set(value.split(' ').filter(Boolean));
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return new Set(value as string[]);
  return null;
}

export interface JwtVerifierOptions {
  /** How often the JWKS file is stat'ed (tests may shorten it). */
  readonly pollIntervalMs?: number;
}

export class JwtVerifier {
  private keys: JWTVerifyGetKey;
  private readonly verifyOptions: Parameters<typeof jwtVerify>[2];
  private reloadCount = 0;
  private failureCount = 0;
  private pollTimer: NodeJS.Timeout | null = null;
  private lastRead = '';
  private closed = false;
  private readonly matchers = new WeakMap<Tenant, ModelMatcher>();

  private constructor(
    private readonly config: JwtConfig,
    keys: JWTVerifyGetKey,
  ) {
    this.keys = keys;
    this.verifyOptions = {
      issuer: config.issuer,
      audience: typeof config.audience === 'string' ? config.audience : [...config.audience],
      algorithms: [...config.algorithms],
      clockTolerance: config.clockToleranceS,
      requiredClaims: ['exp'],
    };
  }

  /**
   * Reads the JWKS file (throws AMAAS_ERR_CONFIG_INVALID when it is missing or invalid) and starts polling
   * it, or sets up the remote JWKS (fetched by jose on first use, then cached).
   */
  static start(config: JwtConfig, options: JwtVerifierOptions = {}): JwtVerifier {
    if (config.jwksFile !== null) {
      const seen = fileSignature(config.jwksFile);
      const v = new JwtVerifier(config, createLocalJWKSet(readJwksFile(config.jwksFile)));
      v.lastRead = seen;
      v.pollTimer = setInterval(() => {
        if (fileSignature(config.jwksFile!) !== v.lastRead) v.reload();
      }, options.pollIntervalMs ?? JWKS_POLL_INTERVAL_MS);
      v.pollTimer.unref();
      return v;
    }
    if (config.jwksUrl === null) throw new AmaasError('AMAAS_ERR_CONFIG_INVALID', 'auth.jwt needs exactly one of jwks_file and jwks_url');
    return new JwtVerifier(config, createRemoteJWKSet(new URL(config.jwksUrl)));
  }

  /** Successful JWKS file reloads since start. */
  get reloads(): number {
    return this.reloadCount;
  }

  /** Failed JWKS file reloads since start (each left the previous key set in force). */
  get failures(): number {
    return this.failureCount;
  }

  /** Reads the JWKS file now (what a change triggers); returns whether the new key set is in force. */
  reload(): boolean {
    const file = this.config.jwksFile;
    if (this.closed || file === null) return false;
    this.lastRead = fileSignature(file);
    try {
      this.keys = createLocalJWKSet(readJwksFile(file));
      this.reloadCount++;
      log.info('JWKS file reloaded', { file });
      return true;
    } catch (err) {
      this.failureCount++;
      const e = toAmaasError(err);
      log.warn('JWKS file not reloaded; the previous key set stays in force', { file, code: e.code, message: e.message });
      return false;
    }
  }

  /** Verifies a token (see looksLikeJwt) against the policy in force; never rejects. */
  async verify(token: string, policy: TenantPolicy): Promise<JwtCheck> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, this.verifyOptions));
    } catch (err) {
      // Claim failures come after the signature was verified: their sub names a real token's holder.
      const verified = err instanceof errors.JWTClaimValidationFailed || err instanceof errors.JWTExpired;
      return { ok: false, reason: joseReason(err), tenant: '', keyId: verified ? keyIdOf(err.payload) : '' };
    }
    const keyId = keyIdOf(payload);
    const claim = payload[this.config.tenantClaim];
    if (typeof claim !== 'string' || claim === '') return { ok: false, reason: `jwt has no ${this.config.tenantClaim} claim`, tenant: '', keyId };
    const tenant = policy.tenants.get(claim);
    const tenantName = claim.slice(0, 128);
    if (!tenant) return { ok: false, reason: 'jwt tenant not in the tenants file', tenant: tenantName, keyId };
    let scopes: ReadonlySet<Scope> = tenant.scopes;
    const scopesClaim = payload[this.config.scopesClaim];
    if (scopesClaim !== undefined) {
      const claimed = claimedScopes(scopesClaim);
      if (claimed === null) return { ok: false, reason: `jwt ${this.config.scopesClaim} claim malformed`, tenant: tenantName, keyId };
      scopes = new Set(SCOPES.filter((s) => tenant.scopes.has(s) && claimed.has(s)));
    }
    let canUse = this.matchers.get(tenant);
    if (!canUse) {
      canUse = matcherFor(tenant.models);
      this.matchers.set(tenant, canUse);
    }
    const match = canUse;
    const identity: Identity = Object.freeze({ tenant: tenant.name, keyId, method: 'jwt' as const, scopes, canUse: (model: string) => match(model) });
    return { ok: true, identity };
  }

  close(): void {
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }
}
