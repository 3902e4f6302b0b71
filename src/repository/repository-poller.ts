/**
 * model_control_mode poll: rescans the repository every interval and lets the registry apply what changed.
 * One scan at a time: the next is scheduled only when the previous has finished (loads can take long).
 */
import { toAmaasError } from '../errors';
import { createLogger } from '../observability/logging';
import type { ModelRegistry } from './model-registry';

const log = createLogger('repository');

export interface RepositoryPoller {
  /** Stops scheduling scans and waits for a scan in progress. */
  stop(): Promise<void>;
}

export function startRepositoryPoller(registry: ModelRegistry, intervalMs: number): RepositoryPoller {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let current: Promise<void> = Promise.resolve();
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      current = registry
        .syncWithRepository()
        .catch((err) => log.error('repository poll failed', { reason: toAmaasError(err).message }))
        .finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  schedule();
  log.info('polling the model repository', { interval_ms: intervalMs });
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}
