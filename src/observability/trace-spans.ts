/**
 * The spans of one traced call (or stream item): its span, and the queue and compute spans the service's own
 * timings make under it. A CallSpan exists only for a call that is sampled; with tracing off, or for a call the
 * sampler drops, the handlers hold undefined and do nothing else.
 */
import { type Context, type HrTime, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { ErrorCode } from '../errors';
import type { ServingVersion } from '../repository/model-version';
import type { RequestTrace } from '../service/request-trace';

/** Spans begun in this process (all servers); tests check it stays 0 with tracing off. */
export const traceActivity = { providers: 0, spans: 0 };

/**
 * The times of one call's spans. The service times requests with process.hrtime.bigint(); every time of a call
 * is set here, from one reading of the wall clock taken when the call began plus monotonic time since, so the
 * spans of a call nest exactly. (Left to itself the SDK anchors each span to Date.now() on its own, whose
 * millisecond steps would put a child span's end past its parent's.)
 */
export class TraceClock {
  private readonly hr = process.hrtime.bigint();
  private readonly epochNs = BigInt(Date.now()) * 1_000_000n;

  at(hr: bigint): HrTime {
    const ns = this.epochNs + (hr - this.hr);
    return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
  }

  now(): HrTime {
    return this.at(process.hrtime.bigint());
  }
}

export function startSpan(tracer: Tracer, name: string, kind: SpanKind, parent: Context, startTime: HrTime): Span {
  traceActivity.spans++;
  return tracer.startSpan(name, { kind, startTime }, parent);
}

// gRPC codes a server reports as span errors (OpenTelemetry's RPC conventions): the server's own failures,
// not the caller's mistakes.
const SERVER_ERROR_CODES = new Set([2, 4, 12, 13, 14, 15]);

export const ATTR = {
  requestId: 'amaas.request_id',
  model: 'amaas.model.name',
  version: 'amaas.model.version',
  errorCode: 'amaas.error_code',
  cacheHit: 'amaas.cache.hit',
  grpcStatus: 'rpc.grpc.status_code',
  httpStatus: 'http.response.status_code',
} as const;

export class CallSpan implements RequestTrace {
  private context: Context | null = null;

  constructor(
    private readonly tracer: Tracer,
    readonly span: Span,
    private readonly clock: TraceClock,
  ) {}

  /** A context with this span as parent, made once. */
  parent(): Context {
    return (this.context ??= trace.setSpan(ROOT_CONTEXT, this.span));
  }

  /** A stream item's span, a child of the stream's. */
  item(requestId: string): CallSpan {
    const span = startSpan(this.tracer, 'amaas.stream_item', SpanKind.INTERNAL, this.parent(), this.clock.now());
    span.setAttribute(ATTR.requestId, requestId);
    return new CallSpan(this.tracer, span, this.clock);
  }

  served(target: ServingVersion, received: bigint, started: bigint | undefined, done: bigint, _errorCode: ErrorCode | null, cacheHit?: boolean): void {
    this.span.setAttribute(ATTR.model, target.model);
    this.span.setAttribute(ATTR.version, String(target.version));
    // Only for a model with response_cache: a hit has a queue span (its lookup, or its wait for an identical run) and no compute span.
    if (cacheHit !== undefined) this.span.setAttribute(ATTR.cacheHit, cacheHit);
    const parent = this.parent();
    const queueEnd = this.clock.at(started ?? done);
    startSpan(this.tracer, 'amaas.queue', SpanKind.INTERNAL, parent, this.clock.at(received)).end(queueEnd);
    if (started !== undefined) startSpan(this.tracer, 'amaas.compute', SpanKind.INTERNAL, parent, queueEnd).end(this.clock.at(done));
  }

  /** Ends a gRPC call, stream or stream item that succeeded. */
  endGrpcOk(): void {
    this.span.setAttribute(ATTR.grpcStatus, 0);
    this.span.end(this.clock.now());
  }

  /** Ends a gRPC call, stream or stream item with its status (and amaas error code when it failed). */
  endGrpc(code: number, errorCode = '', message = ''): void {
    this.span.setAttribute(ATTR.grpcStatus, code);
    if (errorCode) this.span.setAttribute(ATTR.errorCode, errorCode);
    if (SERVER_ERROR_CODES.has(code)) this.span.setStatus({ code: SpanStatusCode.ERROR, message });
    this.span.end(this.clock.now());
  }

  /** Ends a REST call with its HTTP status; 5xx are span errors (the server's own failures). */
  endHttp(status: number, errorCode = ''): void {
    this.span.setAttribute(ATTR.httpStatus, status);
    if (errorCode) this.span.setAttribute(ATTR.errorCode, errorCode);
    if (status >= 500) this.span.setStatus({ code: SpanStatusCode.ERROR });
    this.span.end(this.clock.now());
  }
}
