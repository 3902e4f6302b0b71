/**
 * What sampling costs a call it drops, on real in-process servers with tracing on (the span counters of
 * src/observability/trace-spans.ts are this process's): at sampling_ratio 0 a call without a `traceparent`
 * begins no span, and neither does a call whose caller sent an unsampled one (at any ratio); a caller's sampled
 * `traceparent` is still followed at ratio 0. (What is exported is tested against a server process in
 * tracing.test.ts; the collector here is a port nothing listens on, so the few spans made go nowhere.)
 */
import * as grpc from '@grpc/grpc-js';
import { amaasV1Service } from '../../../src/api/protos';
import { tracingActivity } from '../../../src/observability';
import { makeRepository } from '../../helpers/model-repository';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { httpRequest, scaleInferJson, scalePredict } from '../security/security-fixtures';

type RawClient = grpc.Client & Record<string, any>;

const SAMPLED = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const UNSAMPLED = '00-5bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';

function withTraceparent(value?: string): grpc.Metadata {
  const md = new grpc.Metadata();
  if (value) md.set('traceparent', value);
  return md;
}

function predict(client: RawClient, metadata: grpc.Metadata): Promise<grpc.ServiceError | null> {
  return new Promise((resolve) => client.Predict(scalePredict(), metadata, (err: grpc.ServiceError | null) => resolve(err)));
}

let repo: string;
beforeAll(async () => {
  repo = await makeRepository([{ model: 'scale' }]);
});

async function serverAt(ratio: number): Promise<{ ts: TestServer; client: RawClient; stop(): Promise<void> }> {
  const ts = await startTestServer(repo, { http_port: 0, tracing: { otlp_endpoint: 'http://127.0.0.1:9/v1/traces', sampling_ratio: ratio } });
  const client = new (amaasV1Service())(ts.address, grpc.credentials.createInsecure()) as RawClient;
  return {
    ts,
    client,
    stop: async () => {
      client.close();
      await ts.stop();
    },
  };
}

describe('sampling_ratio 0', () => {
  let s: Awaited<ReturnType<typeof serverAt>>;
  beforeAll(async () => {
    s = await serverAt(0);
  });
  afterAll(() => s.stop());

  it('makes a provider, and no span for calls without a traceparent (gRPC and REST)', async () => {
    expect(tracingActivity().providers).toBeGreaterThanOrEqual(1);
    const before = tracingActivity().spans;
    for (let i = 0; i < 3; i++) expect(await predict(s.client, withTraceparent())).toBeNull();
    expect((await httpRequest(s.ts.server.httpPort!, 'POST', '/v2/models/scale/infer', {}, scaleInferJson)).status).toBe(200);
    expect(tracingActivity().spans).toBe(before);
  });

  it('still follows a caller that sampled the trace: its server, queue and compute spans (and the batch span)', async () => {
    const before = tracingActivity().spans;
    expect(await predict(s.client, withTraceparent(SAMPLED))).toBeNull();
    expect(tracingActivity().spans - before).toBe(4);
  });
});

describe('sampling_ratio 1', () => {
  let s: Awaited<ReturnType<typeof serverAt>>;
  beforeAll(async () => {
    s = await serverAt(1);
  });
  afterAll(() => s.stop());

  it('a caller’s unsampled traceparent: no span at all, not even a non-recording one', async () => {
    const before = tracingActivity().spans;
    expect(await predict(s.client, withTraceparent(UNSAMPLED))).toBeNull();
    expect((await httpRequest(s.ts.server.httpPort!, 'POST', '/v2/models/scale/infer', { traceparent: UNSAMPLED }, scaleInferJson)).status).toBe(200);
    expect(tracingActivity().spans).toBe(before);
    // Without a traceparent, ratio 1 traces it.
    expect(await predict(s.client, withTraceparent())).toBeNull();
    expect(tracingActivity().spans).toBeGreaterThan(before);
  });
});
