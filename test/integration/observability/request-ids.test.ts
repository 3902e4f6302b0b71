/**
 * Request ids and the access log against a real server on port 0 with real clients, over amaas.v1 (Predict,
 * BatchPredict), the Open Inference Protocol (ModelInfer, ModelStreamInfer) and its REST binding: a sent
 * x-request-id comes back and is on the call's access-log line; a made one is returned, valid and unique; an
 * invalid one is replaced and never logged; stream items are logged under their own ids. Then what each
 * access_log mode writes.
 */
import * as grpc from '@grpc/grpc-js';
import { amaasV1Service } from '../../../src/api/protos';
import { isValidRequestId } from '../../../src/observability';
import { setLogLevel } from '../../../src/observability/logging';
import { CapturedLogs, LogLine, captureLogs } from '../../helpers/log-lines';
import { makeRepository } from '../../helpers/model-repository';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { until } from '../../helpers/until';
import { OipClient } from '../kserve/oip-client';
import { httpRequest, scaleInferJson, scalePredict } from '../security/security-fixtures';

type RawClient = grpc.Client & Record<string, any>;

interface UnaryOutcome {
  readonly error: grpc.ServiceError | null;
  readonly response: any;
  /** x-request-id of the initial metadata. */
  readonly requestId: string | undefined;
}

/** A unary call that also keeps the x-request-id the server returned in its initial metadata. */
function call(client: RawClient, rpc: string, request: object, metadata = new grpc.Metadata()): Promise<UnaryOutcome> {
  return new Promise((resolve) => {
    let initial: grpc.Metadata | undefined;
    const c = client[rpc](request, metadata, (error: grpc.ServiceError | null, response: unknown) =>
      resolve({ error, response, requestId: initial?.get('x-request-id')[0] as string | undefined }),
    );
    c.on('metadata', (m: grpc.Metadata) => (initial = m));
  });
}

const withId = (...ids: string[]) => {
  const md = new grpc.Metadata();
  for (const id of ids) md.add('x-request-id', id);
  return md;
};

/** Sends `items` on one stream, half-closes, and resolves with the answers and the stream's x-request-id. */
function streamAll(stream: grpc.ClientDuplexStream<any, any>, items: object[]): Promise<{ answers: any[]; requestId: string | undefined }> {
  return new Promise((resolve, reject) => {
    const answers: any[] = [];
    let requestId: string | undefined;
    stream.on('metadata', (m: grpc.Metadata) => (requestId = m.get('x-request-id')[0] as string));
    stream.on('data', (a) => answers.push(a));
    stream.on('error', reject);
    stream.on('end', () => resolve({ answers, requestId }));
    for (const item of items) stream.write(item);
    stream.end();
  });
}

const oipScale = (id: string, model = 'scale') => ({
  model_name: model,
  id,
  inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4] }],
  raw_input_contents: [Buffer.from(new Float32Array([1, 2, 3, 4]).buffer)],
});

let repo: string;
beforeAll(async () => {
  repo = await makeRepository([{ model: 'scale' }, { model: 'scale', name: 'cached', config: { response_cache: { max_bytes: '1MiB' } } }]);
});

/** A server with the given access_log mode, its log captured from start to stop. */
async function serverWith(accessLog: 'off' | 'errors' | 'all'): Promise<{ ts: TestServer; v1: RawClient; oip: OipClient; logs: CapturedLogs; stop(): Promise<void> }> {
  const ts = await startTestServer(repo, { access_log: accessLog, http_port: 0 });
  setLogLevel('info');
  const logs = captureLogs();
  const v1 = new (amaasV1Service())(ts.address, grpc.credentials.createInsecure()) as RawClient;
  const oip = new OipClient(ts.address);
  return {
    ts,
    v1,
    oip,
    logs,
    stop: async () => {
      v1.close();
      oip.close();
      await ts.stop();
      logs.restore();
      setLogLevel('error');
    },
  };
}

const accessLines = (logs: CapturedLogs): LogLine[] => logs.lines().filter((l) => l.module === 'access' && l.msg === 'access');

async function accessLine(logs: CapturedLogs, requestId: string): Promise<LogLine> {
  await until(() => accessLines(logs).some((l) => l.request_id === requestId), `the access line of ${requestId}`, 10_000);
  return accessLines(logs).find((l) => l.request_id === requestId)!;
}

describe('access_log: all', () => {
  let s: Awaited<ReturnType<typeof serverWith>>;
  beforeAll(async () => {
    s = await serverWith('all');
  });
  afterAll(() => s.stop());

  it('Predict: a sent x-request-id is returned and is on its access line', async () => {
    const r = await call(s.v1, 'Predict', scalePredict(), withId('trace-abc-1'));
    expect(r.error).toBeNull();
    expect(r.requestId).toBe('trace-abc-1');
    expect(await accessLine(s.logs, 'trace-abc-1')).toMatchObject({
      level: 'info',
      protocol: 'amaas',
      method: 'Predict',
      model: 'scale',
      version: '1',
      status: 'OK',
      error_code: '',
      duration_ms: expect.any(Number),
    });
    expect(await accessLine(s.logs, 'trace-abc-1')).not.toHaveProperty('tenant');
    // A model without response_cache: no cache field.
    expect(await accessLine(s.logs, 'trace-abc-1')).not.toHaveProperty('cache');
  });

  it('a model with response_cache: the line says cache miss, then hit for the same request, over gRPC and REST', async () => {
    expect((await call(s.v1, 'Predict', scalePredict('cached'), withId('cache-1'))).error).toBeNull();
    expect((await call(s.v1, 'Predict', scalePredict('cached'), withId('cache-2'))).error).toBeNull();
    expect(await accessLine(s.logs, 'cache-1')).toMatchObject({ model: 'cached', status: 'OK', cache: 'miss' });
    expect(await accessLine(s.logs, 'cache-2')).toMatchObject({ model: 'cached', status: 'OK', cache: 'hit' });
    const rest = await httpRequest(s.ts.server.httpPort!, 'POST', '/v2/models/cached/infer', { 'x-request-id': 'cache-rest-1' }, scaleInferJson);
    expect(rest.status).toBe(200);
    // The REST body decodes to the same tensor as the gRPC calls' raw contents: the same cache key.
    expect(await accessLine(s.logs, 'cache-rest-1')).toMatchObject({ protocol: 'rest', status: 200, cache: 'hit' });
  });

  it('Predict: without a header the request message id is used, and without either a new id is made, unique per call', async () => {
    expect((await call(s.v1, 'Predict', { ...scalePredict(), id: 'message-id-7' })).requestId).toBe('message-id-7');
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await call(s.v1, 'Predict', scalePredict());
      expect(r.error).toBeNull();
      ids.push(r.requestId!);
    }
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(isValidRequestId(id)).toBe(true);
    for (const id of ids.slice(0, 5)) expect((await accessLine(s.logs, id)).status).toBe('OK');
  });

  it('an invalid x-request-id is replaced by a new one and never logged', async () => {
    const bad = ['has space', 'x'.repeat(129)];
    for (const sent of bad) {
      const r = await call(s.v1, 'Predict', scalePredict(), withId(sent));
      expect(r.error).toBeNull();
      expect(r.requestId).not.toBe(sent);
      expect(isValidRequestId(r.requestId!)).toBe(true);
      await accessLine(s.logs, r.requestId!);
    }
    // Sent twice: neither is used.
    const twice = await call(s.v1, 'Predict', scalePredict(), withId('first-id', 'second-id'));
    expect(['first-id', 'second-id']).not.toContain(twice.requestId);
    expect(s.logs.text()).not.toContain('has space');
    expect(s.logs.text()).not.toContain('x'.repeat(129));
  });

  it('a failed call returns its id too, and its line has the status and error code', async () => {
    const r = await call(s.v1, 'Predict', scalePredict('no_such_model'), withId('missing-model-1'));
    expect(r.error?.code).toBe(grpc.status.NOT_FOUND);
    expect(r.requestId).toBe('missing-model-1');
    expect(await accessLine(s.logs, 'missing-model-1')).toMatchObject({
      protocol: 'amaas',
      method: 'Predict',
      model: 'no_such_model',
      status: 'NOT_FOUND',
      error_code: 'AMAAS_ERR_MODEL_NOT_FOUND',
    });
  });

  it('ModelInfer (Open Inference Protocol): the id is returned and logged', async () => {
    let initial: grpc.Metadata | undefined;
    await new Promise<void>((resolve, reject) => {
      const c = s.oip.raw.ModelInfer(oipScale('body-id'), withId('oip-unary-1'), (err: Error | null) => (err ? reject(err) : resolve()));
      c.on('metadata', (m: grpc.Metadata) => (initial = m));
    });
    expect(initial?.get('x-request-id')).toEqual(['oip-unary-1']);
    expect(await accessLine(s.logs, 'oip-unary-1')).toMatchObject({ protocol: 'kserve', method: 'ModelInfer', model: 'scale', version: '1', status: 'OK' });
  });

  it("BatchPredict: the stream's id is returned; each item is logged under its own id, one without under the stream's", async () => {
    const stream = s.v1.BatchPredict(withId('batch-stream-1'));
    const { answers, requestId } = await streamAll(stream, [
      { request: { ...scalePredict(), id: 'item-a' } },
      { request: { ...scalePredict('no_such_model'), id: 'item-b' } },
      { request: scalePredict() },
    ]);
    expect(requestId).toBe('batch-stream-1');
    expect(answers).toHaveLength(3);
    expect(await accessLine(s.logs, 'item-a')).toMatchObject({ protocol: 'amaas', method: 'BatchPredict', model: 'scale', status: 'OK' });
    expect(await accessLine(s.logs, 'item-b')).toMatchObject({ method: 'BatchPredict', status: 'NOT_FOUND', error_code: 'AMAAS_ERR_MODEL_NOT_FOUND' });
    expect(await accessLine(s.logs, 'batch-stream-1')).toMatchObject({ method: 'BatchPredict', status: 'OK' });
  });

  it('ModelStreamInfer: the same, with a made stream id when none is sent', async () => {
    const { answers, requestId } = await streamAll(s.oip.stream(), [oipScale('oip-item-1'), oipScale('oip-item-2', 'no_such_model')]);
    expect(answers).toHaveLength(2);
    expect(isValidRequestId(requestId!)).toBe(true);
    expect(await accessLine(s.logs, 'oip-item-1')).toMatchObject({ protocol: 'kserve', method: 'ModelStreamInfer', status: 'OK' });
    expect(await accessLine(s.logs, 'oip-item-2')).toMatchObject({ status: 'NOT_FOUND', error_code: 'AMAAS_ERR_MODEL_NOT_FOUND' });
  });

  it('REST: the header is echoed and logged; a new id is made when it is missing or invalid', async () => {
    const port = s.ts.server.httpPort!;
    const sent = await httpRequest(port, 'POST', '/v2/models/scale/infer', { 'x-request-id': 'http-id-1' }, scaleInferJson);
    expect(sent.status).toBe(200);
    expect(sent.headers['x-request-id']).toBe('http-id-1');
    expect(await accessLine(s.logs, 'http-id-1')).toMatchObject({ protocol: 'rest', model: 'scale', status: 200, error_code: '' });

    const made = await httpRequest(port, 'POST', '/v2/models/scale/infer', {}, scaleInferJson);
    const invalid = await httpRequest(port, 'POST', '/v2/models/scale/infer', { 'x-request-id': 'bad http id' }, scaleInferJson);
    for (const r of [made, invalid]) expect(isValidRequestId(String(r.headers['x-request-id']))).toBe(true);
    expect(made.headers['x-request-id']).not.toBe(invalid.headers['x-request-id']);
    expect(invalid.headers['x-request-id']).not.toBe('bad http id');
    await accessLine(s.logs, String(made.headers['x-request-id']));

    const failed = await httpRequest(port, 'POST', '/v2/models/scale/versions/9/infer', { 'x-request-id': 'http-missing-version' }, scaleInferJson);
    expect(failed.status).toBe(404);
    expect(failed.headers['x-request-id']).toBe('http-missing-version');
    expect(await accessLine(s.logs, 'http-missing-version')).toMatchObject({ protocol: 'rest', version: '9', status: 404, error_code: 'AMAAS_ERR_VERSION_NOT_FOUND' });

    // Other routes return an id too but are not inference calls: no access line.
    const health = await httpRequest(port, 'GET', '/v2/health/live', { 'x-request-id': 'http-health-1' });
    expect(health.headers['x-request-id']).toBe('http-health-1');
    await httpRequest(port, 'POST', '/v2/models/scale/infer', { 'x-request-id': 'http-after-health' }, scaleInferJson);
    await accessLine(s.logs, 'http-after-health');
    expect(accessLines(s.logs).some((l) => l.request_id === 'http-health-1')).toBe(false);
  });
});

describe('access_log: errors (the default) and off', () => {
  it('errors: a failed call has a line, a successful one none', async () => {
    const s = await serverWith('errors');
    try {
      expect((await call(s.v1, 'Predict', scalePredict(), withId('errors-ok'))).error).toBeNull();
      expect((await call(s.v1, 'Predict', scalePredict('no_such_model'), withId('errors-failed'))).error?.code).toBe(grpc.status.NOT_FOUND);
      await httpRequest(s.ts.server.httpPort!, 'POST', '/v2/models/scale/infer', { 'x-request-id': 'errors-http-ok' }, scaleInferJson);
      await httpRequest(s.ts.server.httpPort!, 'POST', '/v2/models/nope/infer', { 'x-request-id': 'errors-http-failed' }, scaleInferJson);
      expect(await accessLine(s.logs, 'errors-failed')).toMatchObject({ status: 'NOT_FOUND' });
      expect(await accessLine(s.logs, 'errors-http-failed')).toMatchObject({ status: 404 });
      const ids = accessLines(s.logs).map((l) => l.request_id);
      expect(ids).not.toContain('errors-ok');
      expect(ids).not.toContain('errors-http-ok');
    } finally {
      await s.stop();
    }
  });

  it('off: neither has a line (the ids still come back)', async () => {
    const s = await serverWith('off');
    try {
      expect((await call(s.v1, 'Predict', scalePredict(), withId('off-ok'))).requestId).toBe('off-ok');
      expect((await call(s.v1, 'Predict', scalePredict('no_such_model'), withId('off-failed'))).requestId).toBe('off-failed');
      // A line after them proves the log was live: the server's own shutdown lines.
      await s.ts.stop();
      await until(() => s.logs.lines().some((l) => l.msg === 'stopped'), 'the stopped line', 10_000);
      expect(accessLines(s.logs)).toEqual([]);
    } finally {
      s.logs.restore();
      s.v1.close();
      s.oip.close();
      setLogLevel('error');
    }
  });
});
