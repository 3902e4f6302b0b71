/**
 * The SDK's retry policy against a real refusal: a full queue answers RESOURCE_EXHAUSTED trailers-only (no
 * initial metadata, x-request-id and grpc-retry-pushback-ms in the trailers), so grpc-js may retry it. While the
 * queue stays full, a client with retries makes every attempt its policy allows (counted on the server's
 * amaas_refusals_total) before it fails; once the queue has room, it is answered. The single worker is held
 * (test/helpers/worker-hold.ts), so the queue is certainly full and nothing drains until the test releases it.
 */
import * as grpc from '@grpc/grpc-js';
import { AmaasClient, encodeClientTensor } from '../../../src/client/amaas-client';
import { DEFAULT_RETRY_POLICY } from '../../../src/client/balancing';
import { makeRepository, writeModelConfig } from '../../helpers/model-repository';
import { scrape } from '../../helpers/prometheus-text';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { until } from '../../helpers/until';
import { WorkerHold } from '../../helpers/worker-hold';

const hold = new WorkerHold();
const x = { x: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } };
let ts: TestServer;

beforeAll(async () => {
  const repo = await makeRepository([{ model: 'scale' }]);
  writeModelConfig(repo, 'scale', { instances: 1, max_queue_size: 1, max_batch_size: 0 });
  hold.install();
  ts = await startTestServer(repo, { metrics_port: 0 });
});

afterAll(async () => {
  hold.release();
  await ts.stop();
  hold.cleanup();
});

const queueFull = async () => (await scrape(ts.server.metricsPort!)).sum('amaas_refusals_total', { model: 'scale', reason: 'queue_full' });

it('retries a full queue after the pushback, and answers; without retries the caller gets RESOURCE_EXHAUSTED trailers-only', async () => {
  const retrying = new AmaasClient(ts.address, { retry: true });
  const plain = new AmaasClient(ts.address, { retry: false });
  try {
    hold.hold();
    const running = ts.client.predict('scale', x, { timeoutMs: 60_000 });
    await hold.waitHeld(1);
    // Fill what the worker's queue and the version's queue hold, until the server refuses one for queue_full.
    const fillers = Array.from({ length: 4 }, () => ts.client.predict('scale', x, { timeoutMs: 60_000 }).catch((e: grpc.ServiceError) => e.code));
    await until(async () => (await queueFull()) >= 1, 'the queue to be full');
    // Nothing drains while the worker is held: this call is refused too, and answered trailers-only.
    let sawInitialMetadata = false;
    const refusal = await new Promise<grpc.ServiceError | null>((resolve) => {
      const call = (plain as unknown as { stub: Record<string, Function> }).stub.Predict(
        { model_name: 'scale', model_version: 0, id: '', inputs: [encodeClientTensor('x', x.x)], output_names: [], output_encoding: 'TENSOR_ENCODING_RAW' },
        { deadline: Date.now() + 10_000 },
        (err: grpc.ServiceError | null) => resolve(err),
      );
      call.on('metadata', () => (sawInitialMetadata = true));
    });
    expect(refusal?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(sawInitialMetadata).toBe(false);
    expect(refusal!.metadata.get('x-request-id')).toHaveLength(1);
    expect(refusal!.metadata.get('grpc-retry-pushback-ms')).toHaveLength(1);
    process.stdout.write(`client-retry: pushback ${refusal!.metadata.get('grpc-retry-pushback-ms')[0]} ms\n`);

    // With retries, while nothing drains: every attempt is refused, the policy's attempts are spent (each after
    // the pushback), and only then does the call fail.
    const before = await queueFull();
    const spent = await retrying.predict('scale', x, { timeoutMs: 60_000 }).catch((e: grpc.ServiceError) => e);
    expect((spent as grpc.ServiceError).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect((await queueFull()) - before).toBe(DEFAULT_RETRY_POLICY.maxAttempts);

    // Once the queue has room, a retried call is answered.
    hold.release();
    await Promise.all([running, ...fillers]);
    const r = await retrying.predict('scale', x, { timeoutMs: 60_000 });
    expect(Array.from(r.outputs.y.data as Float32Array)).toEqual([3, 5, 7, 9]);
  } finally {
    hold.release();
    retrying.close();
    plain.close();
  }
}, 90_000);
