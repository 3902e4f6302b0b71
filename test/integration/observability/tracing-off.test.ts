/**
 * Tracing off (no tracing.otlp_endpoint): calls of every protocol, each sent with a sampled `traceparent`, make no
 * tracer provider and begin no span (the counters of src/observability/trace-spans.ts stay 0 in this process).
 */
import * as grpc from '@grpc/grpc-js';
import { amaasV1Service } from '../../../src/api/protos';
import { tracingActivity } from '../../../src/observability';
import { makeRepository } from '../../helpers/model-repository';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { OipClient } from '../kserve/oip-client';
import { httpRequest, scaleInferJson, scalePredict } from '../security/security-fixtures';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer(await makeRepository([{ model: 'scale' }]), { http_port: 0 });
});
afterAll(() => ts?.stop());

it('makes no provider and no span for unary, stream and REST calls', async () => {
  const md = () => {
    const m = new grpc.Metadata();
    m.set('traceparent', TRACEPARENT);
    return m;
  };
  const v1 = new (amaasV1Service())(ts.address, grpc.credentials.createInsecure()) as grpc.Client & Record<string, any>;
  const oip = new OipClient(ts.address);
  try {
    const err = await new Promise((resolve) => v1.Predict(scalePredict(), md(), (e: unknown) => resolve(e)));
    expect(err).toBeNull();
    await oip.call('ModelInfer', { model_name: 'scale', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4] }], raw_input_contents: [Buffer.from(new Float32Array(4).buffer)] }, md());
    const answers = await new Promise<unknown[]>((resolve, reject) => {
      const got: unknown[] = [];
      const s = v1.BatchPredict(md());
      s.on('data', (a: unknown) => got.push(a));
      s.on('error', reject);
      s.on('end', () => resolve(got));
      s.write({ request: { ...scalePredict(), id: 'i1' } });
      s.end();
    });
    expect(answers).toHaveLength(1);
    expect((await httpRequest(ts.server.httpPort!, 'POST', '/v2/models/scale/infer', { traceparent: TRACEPARENT }, scaleInferJson)).status).toBe(200);
  } finally {
    v1.close();
    oip.close();
  }
  expect(tracingActivity()).toEqual({ providers: 0, spans: 0 });
});
