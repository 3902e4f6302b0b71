/**
 * API keys: reading `authorization: Bearer <key>`, and turning a presented key into an Identity by its
 * SHA-256. The server never holds a key, only hashes; the presented key's hash is compared with
 * crypto.timingSafeEqual against every stored hash, without stopping at a match, so the time taken does not
 * say which entry (if any) matched. Expiry is checked after the comparison, and an expired key gets the same
 * answer (null) as an unknown one.
 */
import crypto from 'node:crypto';
import { matcherFor } from './model-patterns';
import { ApiKeyEntry, CredentialCheck, Identity, SCOPES, Scope, Tenant, TenantPolicy } from './types';

/** Longest bearer token accepted (an API key is 49 characters; a signed JWT may run to a few thousand). */
export const MAX_TOKEN_CHARS = 4096;

/**
 * RFC 6750 `Bearer <b64token>`: the scheme in any case, exactly one space, then 1..MAX_TOKEN_CHARS of
 * `A-Z a-z 0-9 - . _ ~ + /` with optional trailing `=`. One character class and anchors: linear to test.
 */
const BEARER = /^[Bb][Ee][Aa][Rr][Ee][Rr] ([A-Za-z0-9\-._~+/]+=*)$/;

/**
 * The token of an `authorization` value, or null when it is absent or anything but exactly `Bearer <token>`
 * (another scheme, no token, two spaces, a tab, a non-ASCII or control character, too long).
 */
export function parseBearer(authorization: string | undefined): string | null {
  if (typeof authorization !== 'string' || authorization.length > MAX_TOKEN_CHARS + 7) return null;
  const m = BEARER.exec(authorization);
  return m ? m[1] : null;
}

/** SHA-256 of a key's UTF-8 bytes: what the tenants file stores. */
export function hashKey(key: string): Buffer {
  // crypto.hash is the one-shot form (Node >= 20.12): on every authenticated call, it costs a fraction of a
  // createHash object's set-up (the largest part of the gate's CPU in a profile under load).
  return crypto.hash('sha256', key, 'buffer');
}

/**
 * Where checkKey writes the presented key's hash: one buffer, reused, since the main thread checks one key at a
 * time and synchronously. crypto.hash with Buffer output allocates a Buffer with native memory per call, which
 * costs about 1 µs more than a string and more again in garbage collection under load (BENCHMARKS.md); the
 * digest as a 'binary' (latin1) string, written into this buffer, gives timingSafeEqual the same 32 bytes.
 */
const presentedHash = Buffer.alloc(32);

function hashPresented(key: string): Buffer {
  presentedHash.write(crypto.hash('sha256', key, 'binary'), 'binary');
  return presentedHash;
}

/** hashKey as the 64 lowercase hex digits the tenants file holds. */
export function hashKeyHex(key: string): string {
  return hashKey(key).toString('hex');
}

function makeIdentity(tenant: Tenant, keyId: string, method: Identity['method']): Identity {
  const canUse = matcherFor(tenant.models);
  return Object.freeze({ tenant: tenant.name, keyId, method, scopes: tenant.scopes, canUse: (model: string) => canUse(model) });
}

/** Each key entry's Identity, built once per policy load (policies are frozen; a reload makes new entries). */
const keyIdentities = new WeakMap<ApiKeyEntry, Identity>();

/** Every key of a policy with its tenant, flattened once per policy. */
const flatKeys = new WeakMap<TenantPolicy, readonly { readonly tenant: Tenant; readonly key: ApiKeyEntry }[]>();

function keysOf(policy: TenantPolicy): readonly { readonly tenant: Tenant; readonly key: ApiKeyEntry }[] {
  let keys = flatKeys.get(policy);
  if (!keys) {
    const list: { tenant: Tenant; key: ApiKeyEntry }[] = [];
    for (const tenant of policy.tenants.values()) for (const key of tenant.keys) list.push({ tenant, key });
    keys = Object.freeze(list);
    flatKeys.set(policy, keys);
  }
  return keys;
}

/** What checking a key found (types.ts CredentialCheck); an expired key's refusal names its tenant and id. */
export type KeyCheck = CredentialCheck<'unknown key' | 'expired key'>;

const UNKNOWN: KeyCheck = Object.freeze({ ok: false, reason: 'unknown key', tenant: '', keyId: '' });

/**
 * Checks a presented key against every stored hash (no early exit; each comparison constant-time), then the
 * matching entry's expiry at `now`.
 */
export function checkKey(policy: TenantPolicy, key: string, now?: Date): KeyCheck {
  const presented = hashPresented(key);
  let found: { readonly tenant: Tenant; readonly key: ApiKeyEntry } | null = null;
  for (const entry of keysOf(policy)) {
    // Every stored hash is 32 bytes (the schema checks 64 hex digits), as is the presented one.
    if (crypto.timingSafeEqual(entry.key.sha256, presented) && found === null) found = entry;
  }
  if (found === null) return UNKNOWN;
  if (found.key.expires !== null && (now?.getTime() ?? Date.now()) >= found.key.expires.getTime()) {
    return { ok: false, reason: 'expired key', tenant: found.tenant.name, keyId: found.key.id };
  }
  let identity = keyIdentities.get(found.key);
  if (!identity) {
    identity = makeIdentity(found.tenant, found.key.id, 'api_key');
    keyIdentities.set(found.key, identity);
  }
  return { ok: true, identity };
}

/** The Identity of the tenant holding `key`, or null when no tenant holds it or it has expired at `now`. */
export function identityForKey(policy: TenantPolicy, key: string, now?: Date): Identity | null {
  const c = checkKey(policy, key, now);
  return c.ok ? c.identity : null;
}

/** Certificate name -> tenant, built once per policy. */
const certificateTenants = new WeakMap<TenantPolicy, ReadonlyMap<string, Tenant>>();

/**
 * The Identity of the tenant whose `certificates` list `name` (the client certificate's SAN URI, SAN DNS
 * name or CN, as tls.tenant_from says), or null. The key id is the certificate name.
 */
export function identityForCertificate(policy: TenantPolicy, name: string): Identity | null {
  let byName = certificateTenants.get(policy);
  if (!byName) {
    const m = new Map<string, Tenant>();
    for (const tenant of policy.tenants.values()) for (const c of tenant.certificates) m.set(c, tenant);
    byName = m;
    certificateTenants.set(policy, byName);
  }
  const tenant = byName.get(name);
  return tenant ? makeIdentity(tenant, name, 'certificate') : null;
}

const ANONYMOUS: Identity = Object.freeze({
  tenant: '',
  keyId: '',
  method: 'none' as const,
  scopes: new Set<Scope>(SCOPES),
  canUse: () => true,
});

/** The identity of every call when auth is off (loopback, or allow_unauthenticated): all scopes, every model. */
export function anonymousIdentity(): Identity {
  return ANONYMOUS;
}
