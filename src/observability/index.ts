/**
 * The observability layer's one entry point: what the rest of amaas imports of metrics (and, beside them, logs).
 * A plain list of exports; the modules behind it hold the code.
 */
export { createServerMetrics } from './server-metrics';
export type { ServerMetrics } from './server-metrics';
export type { MetricsServer } from './metrics-server';
