/**
 * How one model's versions share their workers between tenants (src/scheduling/fair-queue.ts): per-model keys,
 * spread into ModelConfigSchema and resolved from here.
 */
import { z } from 'zod';
import { DEFAULT_PRIORITY_AGING_MS } from '../scheduling/fair-queue';

export const SchedulingSettings = {
  /**
   * Fair queuing between tenants (deficit round robin on rows, by each tenant's weight) and priorities
   * (high before normal before low, with aging). false: first come first served, whoever asks.
   */
  fair_scheduling: z.boolean().default(true),
  /** Waiting this long lifts a queued request one priority level (low to normal, normal to high), so low never starves. */
  priority_aging_ms: z.number().int().min(1).max(3_600_000).default(DEFAULT_PRIORITY_AGING_MS),
};

const SchedulingObject = z.object(SchedulingSettings);

export interface SchedulingConfig {
  readonly fairScheduling: boolean;
  readonly priorityAgingMs: number;
}

export function resolveScheduling(c: z.output<typeof SchedulingObject>): SchedulingConfig {
  return { fairScheduling: c.fair_scheduling, priorityAgingMs: c.priority_aging_ms };
}
