/**
 * tracing.* settings (off unless otlp_endpoint is set; ratio 0..1, default 1; service name default amaas), the
 * traces URL made from an endpoint, and the sampler's decisions: parent-based for server spans, and a batch
 * span kept whenever a request it links to is sampled, even at ratio 0.
 */
import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { resolveServerConfig } from '../../../src/config/schema';
import { tracesUrl } from '../../../src/observability';
import { AmaasSampler } from '../../../src/observability/trace-sampler';

const base = { model_repository: '/models' };
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const spanContext = (flags: number) => ({ traceId: TRACE, spanId: '00f067aa0ba902b7', traceFlags: flags, isRemote: true });

describe('tracing config', () => {
  it('is off by default, with ratio 1 and service name amaas', () => {
    expect(resolveServerConfig(base).tracing).toEqual({ otlpEndpoint: null, samplingRatio: 1, serviceName: 'amaas' });
  });

  it('takes an endpoint, a ratio and a service name', () => {
    const c = resolveServerConfig({ ...base, tracing: { otlp_endpoint: 'http://collector:4318', sampling_ratio: 0.25, service_name: 'edge' } });
    expect(c.tracing).toEqual({ otlpEndpoint: 'http://collector:4318', samplingRatio: 0.25, serviceName: 'edge' });
  });

  it.each([
    [{ sampling_ratio: 1.5 }],
    [{ sampling_ratio: -0.1 }],
    [{ otlp_endpoint: 'collector:4318' }],
    [{ otlp_endpoint: 'ftp://collector/v1/traces' }],
    [{ service_name: '' }],
    [{ otlp_endpoint: 'http://c:4318', unknown_key: 1 }],
  ])('refuses %j', (tracing) => {
    expect(() => resolveServerConfig({ ...base, tracing })).toThrow();
  });
});

describe('tracesUrl', () => {
  it('adds /v1/traces to an endpoint without a path, keeps one that has a path', () => {
    expect(tracesUrl('http://collector:4318')).toBe('http://collector:4318/v1/traces');
    expect(tracesUrl('http://collector:4318/')).toBe('http://collector:4318/v1/traces');
    expect(tracesUrl('https://otel.example/custom/traces')).toBe('https://otel.example/custom/traces');
  });
});

describe('AmaasSampler', () => {
  const sampled = trace.setSpanContext(ROOT_CONTEXT, spanContext(TraceFlags.SAMPLED));
  const unsampled = trace.setSpanContext(ROOT_CONTEXT, spanContext(TraceFlags.NONE));
  const decide = (s: AmaasSampler, ctx = ROOT_CONTEXT, links: { context: ReturnType<typeof spanContext> }[] = []) =>
    s.shouldSample(ctx, TRACE, 'x', SpanKind.SERVER, {}, links).decision;

  it('follows the caller’s sampled flag at any ratio', () => {
    expect(decide(new AmaasSampler(0), sampled)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(new AmaasSampler(1), unsampled)).toBe(SamplingDecision.NOT_RECORD);
  });

  it('samples root spans by ratio', () => {
    expect(decide(new AmaasSampler(0))).toBe(SamplingDecision.NOT_RECORD);
    expect(decide(new AmaasSampler(1))).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it('keeps a root span linked to a sampled request, even at ratio 0', () => {
    expect(decide(new AmaasSampler(0), ROOT_CONTEXT, [{ context: spanContext(TraceFlags.NONE) }, { context: spanContext(TraceFlags.SAMPLED) }])).toBe(
      SamplingDecision.RECORD_AND_SAMPLED,
    );
    expect(decide(new AmaasSampler(0), ROOT_CONTEXT, [{ context: spanContext(TraceFlags.NONE) }])).toBe(SamplingDecision.NOT_RECORD);
  });

  it('tells in advance which server spans it would drop', () => {
    expect(new AmaasSampler(0).surelyDropped(ROOT_CONTEXT)).toBe(true);
    expect(new AmaasSampler(0.5).surelyDropped(ROOT_CONTEXT)).toBe(false);
    expect(new AmaasSampler(0).surelyDropped(sampled)).toBe(false);
    expect(new AmaasSampler(1).surelyDropped(unsampled)).toBe(true);
  });
});
