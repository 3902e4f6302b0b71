/**
 * OpenTelemetry tracing (tracing.otlp_endpoint set): a server span per inference call with the RPC (or HTTP)
 * semantic-convention attributes, continuing the caller's W3C `traceparent`/`tracestate`; queue and compute
 * spans under it (trace-spans.ts); one span per executed batch, linked to the spans of the requests it ran.
 * Spans leave through a BatchSpanProcessor to an OTLP/HTTP (JSON) exporter.
 *
 * The provider is this server's own, never registered with the API, and no context manager is installed (the
 * one global touched is the SDK's diagnostic logger, for export warnings). The span of a call travels
 * explicitly (handler -> service -> scheduler), so with tracing off there is no Tracing object at all and a
 * null check at each of those steps is the whole cost.
 */
import * as grpc from '@grpc/grpc-js';
import { DiagLogLevel, type Link, ROOT_CONTEXT, SpanKind, SpanStatusCode, type TextMapGetter, type Tracer, diag } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { IncomingHttpHeaders } from 'node:http';
import type { TracingConfig } from '../config/observability-schema';
import type { ModelHooks, VersionHooks } from '../repository/model-hooks';
import type { BatchClosedBy } from '../scheduling/batch-policy';
import type { BatchTraceHook } from '../scheduling/dynamic-batcher';
import type { AccessProtocol, AccessSite } from './access-log';
import { createLogger } from './logging';
import { AmaasSampler } from './trace-sampler';
import { ATTR, CallSpan, TraceClock, startSpan, traceActivity } from './trace-spans';

export { CallSpan };

/** The full gRPC service name of each protocol's inference RPCs (rpc.service). */
const RPC_SERVICE: Record<Exclude<AccessProtocol, 'rest'>, string> = {
  amaas: 'amaas.v1.InferenceService',
  kserve: 'inference.GRPCInferenceService',
};

const METADATA_GETTER: TextMapGetter<grpc.Metadata> = {
  get: (md, key) => {
    const values = md.get(key);
    return values.length === 0 ? undefined : values.map(String);
  },
  keys: (md) => Object.keys(md.getMap()),
};

const HEADERS_GETTER: TextMapGetter<IncomingHttpHeaders> = {
  get: (headers, key) => headers[key],
  keys: (headers) => Object.keys(headers),
};

/** How long shutdown waits for the last spans to be exported before it gives up on them. */
export const TRACE_FLUSH_TIMEOUT_MS = 5000;

let diagnosticsLogged = false;

/**
 * The SDK reports failed exports (collector down, refused) through its diag channel, silent by default: send its
 * warnings and errors to amaas's log, once per process (the channel is the API's one global).
 */
function logExportProblems(): void {
  if (diagnosticsLogged) return;
  diagnosticsLogged = true;
  const log = createLogger('tracing');
  const line = (message: string, args: unknown[]) => {
    const cause = args.find((a): a is { message: string } => typeof (a as { message?: unknown })?.message === 'string');
    log.warn(message, cause ? { error: cause.message } : undefined);
  };
  const ignore = () => {};
  diag.setLogger({ error: (m, ...a) => line(m, a), warn: (m, ...a) => line(m, a), info: ignore, debug: ignore, verbose: ignore }, DiagLogLevel.WARN);
}

/** A traces URL: the endpoint as given, or `/v1/traces` on it when it names no path (OTLP/HTTP's default). */
export function tracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/traces';
  return url.toString();
}

export class Tracing {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly sampler: AmaasSampler;
  private readonly propagator = new W3CTraceContextPropagator();
  /** Each protocol's span names and attributes, per method, made once. */
  private readonly grpcSites = new Map<AccessSite, { readonly name: string; readonly service: string }>();

  constructor(config: TracingConfig & { readonly otlpEndpoint: string }) {
    this.sampler = new AmaasSampler(config.samplingRatio);
    const exporter = new OTLPTraceExporter({ url: tracesUrl(config.otlpEndpoint), timeoutMillis: TRACE_FLUSH_TIMEOUT_MS });
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': config.serviceName }),
      sampler: this.sampler,
      spanProcessors: [new BatchSpanProcessor(exporter)],
    });
    this.tracer = this.provider.getTracer('amaas');
    traceActivity.providers++;
    logExportProblems();
  }

  /** A gRPC inference call's (or stream's) server span; undefined when it is not sampled. */
  grpcCall(metadata: grpc.Metadata, site: AccessSite, requestId: string): CallSpan | undefined {
    const parent = this.propagator.extract(ROOT_CONTEXT, metadata, METADATA_GETTER);
    if (this.sampler.surelyDropped(parent)) return undefined;
    let s = this.grpcSites.get(site);
    if (!s) {
      const service = RPC_SERVICE[site.protocol as keyof typeof RPC_SERVICE];
      s = { name: `${service}/${site.method}`, service };
      this.grpcSites.set(site, s);
    }
    const clock = new TraceClock();
    const span = startSpan(this.tracer, s.name, SpanKind.SERVER, parent, clock.now());
    if (!span.isRecording()) return undefined;
    span.setAttribute('rpc.system', 'grpc');
    span.setAttribute('rpc.service', s.service);
    span.setAttribute('rpc.method', site.method);
    span.setAttribute(ATTR.requestId, requestId);
    return new CallSpan(this.tracer, span, clock);
  }

  /** The REST infer route's server span; `route` is its template (http.route). Undefined when it is not sampled. */
  httpCall(headers: IncomingHttpHeaders, method: string, route: string, requestId: string): CallSpan | undefined {
    const parent = this.propagator.extract(ROOT_CONTEXT, headers, HEADERS_GETTER);
    if (this.sampler.surelyDropped(parent)) return undefined;
    const clock = new TraceClock();
    const span = startSpan(this.tracer, `${method} ${route}`, SpanKind.SERVER, parent, clock.now());
    if (!span.isRecording()) return undefined;
    span.setAttribute('http.request.method', method);
    span.setAttribute('http.route', route);
    span.setAttribute(ATTR.requestId, requestId);
    return new CallSpan(this.tracer, span, clock);
  }

  /** The registry's hooks with each batched version's batch spans added (`inner`: the metrics' hooks, if any). */
  modelHooks(inner: ModelHooks | undefined): ModelHooks {
    return {
      ...inner,
      versionHooks: (model, version): VersionHooks => ({ ...inner?.versionHooks?.(model, version), traceBatch: this.batchHook(model, version) }),
    };
  }

  private batchHook(model: string, version: number): BatchTraceHook {
    const v = String(version);
    return (traces, requests, rows, closedBy: BatchClosedBy) => {
      const links: Link[] = traces.map((t) => ({ context: (t as CallSpan).span.spanContext() }));
      traceActivity.spans++;
      const span = this.tracer.startSpan('amaas.batch', { kind: SpanKind.INTERNAL, root: true, links }, ROOT_CONTEXT);
      span.setAttribute(ATTR.model, model);
      span.setAttribute(ATTR.version, v);
      span.setAttribute('amaas.batch.requests', requests);
      span.setAttribute('amaas.batch.rows', rows);
      span.setAttribute('amaas.batch.closed_by', closedBy);
      return (failed) => {
        if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      };
    };
  }

  /** Exports what is still buffered and stops; bounded, so a collector that is down cannot hold shutdown. */
  async shutdown(timeoutMs = TRACE_FLUSH_TIMEOUT_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    await Promise.race([this.provider.shutdown().catch(() => undefined), bound]);
    clearTimeout(timer);
  }
}

/** A Tracing for `config`, or null when tracing is off (no otlp_endpoint). */
export function createTracing(config: TracingConfig): Tracing | null {
  return config.otlpEndpoint === null ? null : new Tracing({ ...config, otlpEndpoint: config.otlpEndpoint });
}

/** What tests read: providers made and spans begun in this process. */
export function tracingActivity(): { readonly providers: number; readonly spans: number } {
  return { ...traceActivity };
}
