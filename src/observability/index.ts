/**
 * The observability layer's one entry point: what the rest of amaas imports of metrics (and, beside them, logs).
 * A plain list of exports; the modules behind it hold the code.
 */
export { createServerMetrics } from './server-metrics';
export type { ServerMetrics } from './server-metrics';
export type { MetricsServer } from './metrics-server';
export { registerTenantUsageMetrics } from './tenant-usage-metrics';
// Logs: the access log and request ids (the logger itself is imported from './logging' directly, see there).
export { AccessLog } from './access-log';
export type { AccessEntry, AccessLogMode, AccessProtocol, AccessSite } from './access-log';
export { MAX_REQUEST_ID_LENGTH, REQUEST_ID_KEY, acceptRequestId, isValidRequestId, itemRequestId, newRequestId, requestIdMetadata, requestIdOf } from './request-id';
// Traces: OpenTelemetry spans per call, queue/compute, and per batch (tracing.ts).
export { CallSpan, TRACE_FLUSH_TIMEOUT_MS, Tracing, createTracing, tracesUrl, tracingActivity } from './tracing';
