/**
 * Sampling for amaas's spans. Server spans follow the caller's decision when a `traceparent` came with the
 * call (parent-based) and sample `ratio` of the rest by trace id. A batch span is a root span of its own, linked
 * to the requests it ran; it is kept whenever one of those is sampled, so a sampled request never points at
 * a batch the exporter never saw.
 */
import { type Attributes, type Context, type Link, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { ParentBasedSampler, type Sampler, SamplingDecision, type SamplingResult, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';

const SAMPLED: SamplingResult = { decision: SamplingDecision.RECORD_AND_SAMPLED };

export class AmaasSampler implements Sampler {
  private readonly inner: Sampler;

  constructor(readonly ratio: number) {
    this.inner = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }

  shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    if (links.length > 0 && trace.getSpanContext(context) === undefined && links.some((l) => (l.context.traceFlags & TraceFlags.SAMPLED) !== 0)) {
      return SAMPLED;
    }
    return this.inner.shouldSample(context, traceId, name, kind, attributes, links);
  }

  /**
   * Whether a server span would certainly not be sampled, decided before the SDK is asked, so that such a call
   * makes no span object at all (the SDK would make a NonRecordingSpan, with fresh ids, and drop it): a caller
   * that sent an unsampled `traceparent`, or no parent at ratio 0.
   */
  surelyDropped(parent: Context): boolean {
    const p = trace.getSpanContext(parent);
    return p === undefined ? this.ratio === 0 : (p.traceFlags & TraceFlags.SAMPLED) === 0;
  }

  toString(): string {
    return `AmaasSampler{ratio=${this.ratio}}`;
  }
}
