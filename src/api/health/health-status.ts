/**
 * What grpc.health.v1 reports, derived from the registry and the drain state (transport-neutral):
 * "" and each served service's full name are SERVING until the shutdown signal (drain.unready); a model name is
 * SERVING while its default version is READY and the server is not shutting down. Any other name is unknown.
 */
import type { ModelRegistry } from '../../repository/model-registry';
import type { DrainState } from '../drain';

export type ServingStatus = 'SERVING' | 'NOT_SERVING';

/** The whole server ("") and every service it serves on its gRPC port. */
export const SERVER_HEALTH_NAMES: readonly string[] = ['', 'amaas.v1.InferenceService', 'amaas.v1.ModelRepositoryService', 'inference.GRPCInferenceService', 'grpc.health.v1.Health'];

export class HealthStatus {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly drain: DrainState,
  ) {}

  /** The status of a service or model name; null when the name is neither. */
  statusOf(name: string): ServingStatus | null {
    if (SERVER_HEALTH_NAMES.includes(name)) return this.drain.unready ? 'NOT_SERVING' : 'SERVING';
    const entry = this.registry.get(name);
    if (!entry) return null;
    return entry.defaultVersion > 0 && !this.drain.unready ? 'SERVING' : 'NOT_SERVING';
  }

  /**
   * Calls `listener` with the name's status now and again every time it changes (null: unknown). Returns the
   * function that stops watching.
   */
  watch(name: string, listener: (status: ServingStatus | null) => void): () => void {
    let last: ServingStatus | null | undefined;
    const check = () => {
      const now = this.statusOf(name);
      if (now === last) return;
      last = now;
      listener(now);
    };
    const stopRegistry = this.registry.onChange((model) => {
      if (model === name) check();
    });
    const stopDrain = this.drain.onUnready(check);
    check();
    return () => {
      stopRegistry();
      stopDrain();
    };
  }
}
