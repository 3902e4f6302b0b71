/**
 * The server settings of the observability layer (src/observability/), kept beside the main schema so it
 * stays readable: each key is spread into ServerConfigSchema and resolved into ServerConfig from here.
 */
import { z } from 'zod';

export const ObservabilitySettings = {
  /**
   * Port of the Prometheus endpoint (`GET /metrics`, text format), on the server's host. Unset: no metrics
   * endpoint and no recording; 0 picks a free port (the bound address is printed). Triton's is 8002. It is
   * open even with auth on (Prometheus sends no API key): keep it on a private network or behind a firewall.
   */
  metrics_port: z.number().int().min(0).max(65535).optional(),
};

const ObservabilityObject = z.object(ObservabilitySettings);
type ObservabilityParsed = z.output<typeof ObservabilityObject>;

export interface ObservabilityConfig {
  /** null: metrics are off. */
  readonly metricsPort: number | null;
}

export function resolveObservability(c: ObservabilityParsed): ObservabilityConfig {
  return { metricsPort: c.metrics_port ?? null };
}
