/**
 * The tenants file (`auth.tenants_file`, YAML or JSON): its schema, and the one function that reads,
 * validates and freezes it into a TenantPolicy. Errors name the file and the key path
 * (`tenants.acme.keys.0.sha256: ...`) and never echo a value from the file: someone may have pasted a key
 * where its hash belongs, and these messages end up in logs.
 *
 * ```yaml
 * tenants:
 *   acme:
 *     keys: [{ id: acme-2026-12, sha256: "<64 hex of sha256(key)>", expires: "2027-06-01T00:00:00Z" }]
 *     models: ["fraud_*", "ocr_det"]   # globs; omitted = none
 *     scopes: [infer, metadata]        # infer | metadata | admin
 *     certificates: ["spiffe://acme/worker"]
 *     limits: { requests_per_second: 100, burst: 20, rows_per_second: 5000, max_concurrent: 8 }   # each optional
 *     weight: 2                        # share of a contended model; default 1
 *     priority: high                   # high | normal | low; default normal
 * ```
 */
import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { PrioritySchema, TenantLimitsSchema, WeightSchema, resolveLimits } from '../config/tenancy-schema';
import { AmaasError } from '../errors';
import { MODEL_PATTERN, matcherFor } from './model-patterns';
import { ApiKeyEntry, SCOPES, Scope, Tenant, TenantPolicy } from './types';

/** Largest tenants file read (a file of a million keys is a mistake, not a policy). */
export const MAX_TENANTS_FILE_BYTES = 16 * 1024 * 1024;

/** A tenant's name: it appears in logs, metrics labels and the audit trail. */
export const TENANT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** A key's id: safe to log, unique across the file. */
export const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

const KeySchema = z
  .object({
    id: z
      .string()
      .regex(KEY_ID, 'must be 1-128 letters, digits, ".", "_", ":" or "-", starting with a letter or digit')
      // A pasted key would otherwise be a valid id, and ids are logged (amaas_ is key-generator.ts KEY_PREFIX).
      .refine((id) => !id.startsWith('amaas_'), 'must not start with amaas_ (that is how keys start: is this a key?)'),
    /** SHA-256 of the key's UTF-8 bytes, as 64 hex digits (`amaas keys create` prints it). */
    sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits (the SHA-256 of the key, never the key)'),
    /** ISO 8601 instant with a zone (`2027-06-01T00:00:00Z`); past it the key is refused. Omitted = never. */
    expires: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a zone, like 2027-06-01T00:00:00Z' }).optional(),
  })
  .strict();

const TenantSchema = z
  .object({
    keys: z.array(KeySchema).max(10_000).default([]),
    /** Model-name globs (`*`, `?`); omitted or empty = no model. */
    models: z.array(z.string().regex(MODEL_PATTERN, 'must be a model name or a glob of letters, digits, ".", "_", "-", "*" and "?"')).default([]),
    scopes: z.array(z.enum(SCOPES as [Scope, ...Scope[]])).default([]),
    /** Client-certificate names (SAN URI, SAN DNS or CN, per tls.tenant_from) that are this tenant. */
    certificates: z.array(z.string().min(1).max(1024)).default([]),
    /** requests_per_second, burst, rows_per_second, max_concurrent (config/tenancy-schema.ts); omitted = none. */
    limits: TenantLimitsSchema.optional(),
    weight: WeightSchema,
    priority: PrioritySchema,
  })
  .strict();

export const TenantsFileSchema = z
  .object({
    tenants: z.record(z.string().regex(TENANT_NAME, 'tenant names are 1-128 letters, digits, ".", "_" or "-"'), TenantSchema),
  })
  .strict()
  .superRefine((file, ctx) => {
    const keyIds = new Map<string, string>();
    const hashes = new Map<string, string>();
    const certificates = new Map<string, string>();
    for (const [name, tenant] of Object.entries(file.tenants)) {
      tenant.keys.forEach((key, i) => {
        const at = ['tenants', name, 'keys', i];
        const idOwner = keyIds.get(key.id);
        if (idOwner !== undefined) ctx.addIssue({ code: 'custom', path: [...at, 'id'], message: `key id already used in tenant ${idOwner}` });
        keyIds.set(key.id, name);
        const hash = key.sha256.toLowerCase();
        const hashOwner = hashes.get(hash);
        if (hashOwner !== undefined) ctx.addIssue({ code: 'custom', path: [...at, 'sha256'], message: `the same key is already listed (tenant ${hashOwner}); every key must be distinct` });
        hashes.set(hash, name);
      });
      tenant.certificates.forEach((cert, i) => {
        const owner = certificates.get(cert);
        if (owner !== undefined) ctx.addIssue({ code: 'custom', path: ['tenants', name, 'certificates', i], message: `certificate name already maps to tenant ${owner}` });
        certificates.set(cert, name);
      });
    }
  });

export type TenantsFileInput = z.input<typeof TenantsFileSchema>;

/** "tenants.acme.keys.0.sha256: must be 64 hex digits; ..." — paths and our own messages, never the values. */
function describeIssues(err: z.ZodError): string {
  const shown = err.issues.slice(0, 8).map((i) => `${i.path.map(String).join('.') || '(root)'}: ${issueMessage(i)}`);
  return err.issues.length > shown.length ? `${shown.join('; ')}; … (${err.issues.length} problems in all)` : shown.join('; ');
}

/** zod's messages for these codes name types and keys, not values; anything else gets a fixed text. */
function issueMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'unrecognized_keys':
      // Key names are the file's structure, not its secrets, but cut them anyway.
      return `unknown key(s) ${issue.keys.slice(0, 8).map((k) => JSON.stringify(k.slice(0, 64))).join(', ')}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_key':
      return 'tenant names are 1-128 letters, digits, ".", "_" or "-"';
    case 'too_big':
      return `at most ${String(issue.maximum)}${issue.origin === 'array' ? ' entries' : ''}`;
    default:
      return issue.message;
  }
}

/** Validates a parsed tenants file and freezes it; `source` names it in errors. */
export function policyFromObject(raw: unknown, source: string): TenantPolicy {
  const parsed = TenantsFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new AmaasError('AMAAS_ERR_CONFIG_INVALID', `tenants file ${source}: ${describeIssues(parsed.error)}`);
  }
  const tenants = new Map<string, Tenant>();
  for (const [name, t] of Object.entries(parsed.data.tenants)) {
    const keys: ApiKeyEntry[] = t.keys.map((k) =>
      Object.freeze({ id: k.id, sha256: Buffer.from(k.sha256, 'hex'), expires: k.expires === undefined ? null : new Date(k.expires) }),
    );
    const models = Object.freeze([...new Set(t.models)]);
    matcherFor(models); // compile once, now, rather than on the first call
    tenants.set(
      name,
      Object.freeze({
        name,
        keys: Object.freeze(keys),
        models,
        scopes: new Set<Scope>(t.scopes),
        certificates: Object.freeze([...t.certificates]),
        limits: resolveLimits(t.limits),
        weight: t.weight,
        priority: t.priority,
      }),
    );
  }
  return Object.freeze({ tenants });
}

/** Parses YAML or JSON (YAML is a superset of JSON) without letting a parser message quote the file's text. */
export function parseTenantsText(text: string, source: string): unknown {
  try {
    return YAML.parse(text);
  } catch (err) {
    // yaml's own messages include the offending line, which may hold a pasted key: keep only where and what.
    const pos = (err as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    const code = (err as { code?: string }).code;
    const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
    throw new AmaasError('AMAAS_ERR_CONFIG_INVALID', `tenants file ${source} is not valid YAML or JSON${where}${code ? ` (${code})` : ''}`);
  }
}

/** Reads, validates and freezes the tenants file. Throws AMAAS_ERR_CONFIG_INVALID naming the file and key. */
export function loadTenantsFile(file: string): TenantPolicy {
  let text: string;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_TENANTS_FILE_BYTES) {
      throw new AmaasError('AMAAS_ERR_CONFIG_INVALID', `tenants file ${file} is ${size} bytes, more than ${MAX_TENANTS_FILE_BYTES}`);
    }
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof AmaasError) throw err;
    throw new AmaasError('AMAAS_ERR_CONFIG_INVALID', `cannot read tenants file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return policyFromObject(parseTenantsText(text, file), file);
}

/** A policy with no tenants: every key is refused. */
export function emptyPolicy(): TenantPolicy {
  return Object.freeze({ tenants: new Map<string, Tenant>() });
}
