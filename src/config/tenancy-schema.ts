/**
 * The per-tenant limits (src/tenancy/), one schema for both places they are written: under each tenant of the
 * tenants file (src/security/tenants-file.ts), and at the top level of the server config for the one implicit
 * tenant `default` that every caller is when auth is off. Spread into ServerConfigSchema and resolved from here.
 */
import { z } from 'zod';

/** Scheduling priority of a tenant (and the cap on what its requests may ask for). */
export const PRIORITIES = ['high', 'normal', 'low'] as const;
export type TenantPriority = (typeof PRIORITIES)[number];

/** Every key optional; an absent key is no limit. */
export const TenantLimitsSchema = z
  .object({
    /** Sustained inference requests per second (a token bucket refilled at this rate). */
    requests_per_second: z.number().positive().max(1e9).optional(),
    /** Requests the bucket holds when full: how many may arrive at once after a quiet spell. Default: max(1, requests_per_second). */
    burst: z.number().int().min(1).max(1e9).optional(),
    /** Sustained rows per second (the first dimension of batched inputs; 1 per request otherwise); the bucket holds one second's worth. */
    rows_per_second: z.number().positive().max(1e12).optional(),
    /** Inference requests of this tenant admitted and not yet answered, at most. */
    max_concurrent: z.number().int().min(1).max(1e9).optional(),
  })
  .strict()
  .refine((l) => l.burst === undefined || l.requests_per_second !== undefined, { path: ['burst'], message: 'needs requests_per_second' });

export type TenantLimitsInput = z.input<typeof TenantLimitsSchema>;

/** What a tenant's limits are once validated (camelCase, frozen); undefined: no such limit. */
export interface TenantLimits {
  readonly requestsPerSecond?: number;
  readonly burst?: number;
  readonly rowsPerSecond?: number;
  readonly maxConcurrent?: number;
}

export const NO_LIMITS: TenantLimits = Object.freeze({});

export function resolveLimits(l: z.output<typeof TenantLimitsSchema> | undefined): TenantLimits {
  if (!l) return NO_LIMITS;
  return Object.freeze({
    ...(l.requests_per_second === undefined ? {} : { requestsPerSecond: l.requests_per_second }),
    ...(l.burst === undefined ? {} : { burst: l.burst }),
    ...(l.rows_per_second === undefined ? {} : { rowsPerSecond: l.rows_per_second }),
    ...(l.max_concurrent === undefined ? {} : { maxConcurrent: l.max_concurrent }),
  });
}

/** A tenant's share of a contended model version (fair scheduling), relative to the others queued there. */
export const WeightSchema = z.number().positive().max(1e6).default(1);
export const PrioritySchema = z.enum(PRIORITIES).default('normal');

export const TenancySettings = {
  /**
   * Limits of the implicit tenant `default` (every caller when auth is off; with a tenants file each tenant
   * has its own `limits`). Unset: none.
   */
  limits: TenantLimitsSchema.optional(),
  /** Priority of the implicit tenant `default` (high, normal, low); with a tenants file, each tenant's own `priority`. */
  priority: PrioritySchema,
};

const TenancyObject = z.object(TenancySettings);
type TenancyParsed = z.output<typeof TenancyObject>;

export interface TenancyConfig {
  /** The implicit tenant's limits (auth off). */
  readonly limits: TenantLimits;
  readonly priority: TenantPriority;
}

export function resolveTenancy(c: TenancyParsed): TenancyConfig {
  return { limits: resolveLimits(c.limits), priority: c.priority };
}
