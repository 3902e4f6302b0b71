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

// ---- Logs: the access log (src/observability/access-log.ts) --------------------------------------------

/** access_log's values. */
export const ACCESS_LOG_MODES = ['off', 'errors', 'all'] as const;
export type AccessLogMode = (typeof ACCESS_LOG_MODES)[number];

export const LogSettings = {
  /**
   * One log line per inference call or stream item (request id, protocol, method, model, version, status,
   * duration, tenant): `off`, `errors` (only failed ones, so a busy server does not log every success) or
   * `all`. Lines are at info level, so log_level warn or error hides them too.
   */
  access_log: z.enum(ACCESS_LOG_MODES).default('errors'),
};

type LogInput = { [K in keyof typeof LogSettings]: z.output<(typeof LogSettings)[K]> };

export interface LogConfig {
  readonly accessLog: AccessLogMode;
}

export function resolveLogs(c: LogInput): LogConfig {
  return { accessLog: c.access_log };
}

// ---- Traces: OpenTelemetry (src/observability/tracing.ts) -----------------------------------------------

export const TracingSettings = {
  /** OpenTelemetry traces; off unless `otlp_endpoint` is set. */
  tracing: z
    .object({
      /**
       * The collector's OTLP/HTTP endpoint: a URL with a path is used as the traces URL, one without gets
       * OTLP's `/v1/traces` (`http://otel-collector:4318` -> `http://otel-collector:4318/v1/traces`). Unset:
       * tracing is off and costs nothing per request.
       */
      otlp_endpoint: z.url({ protocol: /^https?$/ }).optional(),
      /** Share of calls without a sampled `traceparent` that are traced, 0..1 (default 1). */
      sampling_ratio: z.number().min(0).max(1).default(1),
      /** The `service.name` resource attribute of every span. */
      service_name: z.string().min(1).default('amaas'),
    })
    .strict()
    .default({ sampling_ratio: 1, service_name: 'amaas' }),
};

type TracingInput = { [K in keyof typeof TracingSettings]: z.output<(typeof TracingSettings)[K]> };

export interface TracingConfig {
  /** null: tracing is off. */
  readonly otlpEndpoint: string | null;
  readonly samplingRatio: number;
  readonly serviceName: string;
}

export function resolveTracing(c: TracingInput): { readonly tracing: TracingConfig } {
  const t = c.tracing;
  return { tracing: Object.freeze({ otlpEndpoint: t.otlp_endpoint ?? null, samplingRatio: t.sampling_ratio, serviceName: t.service_name }) };
}
