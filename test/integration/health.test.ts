/**
 * grpc.health.v1 through a client built from the public definition (test/helpers/health-check.ts: a protobufjs descriptor,
 * not the server's proto): SERVING for the server, its services and ready models; NOT_SERVING for a model taken
 * down with RepositoryModelUnload (pushed on Watch) and back to SERVING on load; NOT_SERVING for "" pushed when
 * the server drains on shutdown, after which the Watch stream ends with UNAVAILABLE.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthClient } from '../helpers/health-check';
import { makeRepository } from '../helpers/model-repository';
import { TestServer, startTestServer } from '../helpers/test-server';
import { OipClient } from './kserve/oip-client';

/** Buffers a Watch stream's messages so a test can take them one at a time, in order. */
class Watcher {
  private readonly messages: string[] = [];
  private waiting: ((s: string) => void) | null = null;
  readonly ended: Promise<grpc.ServiceError | null>;

  constructor(readonly call: grpc.ClientReadableStream<{ status: string }>) {
    call.on('data', (m: { status: string }) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w(m.status);
      } else this.messages.push(m.status);
    });
    this.ended = new Promise((resolve) => {
      call.on('error', (err: grpc.ServiceError) => resolve(err));
      call.on('end', () => resolve(null));
    });
  }

  next(): Promise<string> {
    const m = this.messages.shift();
    if (m !== undefined) return Promise.resolve(m);
    return new Promise((resolve) => (this.waiting = resolve));
  }
}

let ts: TestServer;
let health: grpc.Client & Record<string, any>;
let oip: OipClient;

beforeAll(async () => {
  ts = await startTestServer(await makeRepository([{ model: 'scale' }, { model: 'string_echo' }]));
  health = new HealthClient(ts.address, grpc.credentials.createInsecure()) as never;
  oip = new OipClient(ts.address);
});

afterAll(async () => {
  health.close();
  oip.close();
  await ts.stop();
});

const check = (service: string): Promise<string> =>
  new Promise((resolve, reject) =>
    health.Check({ service }, (err: grpc.ServiceError | null, res: { status: string }) => (err ? reject(err) : resolve(res.status))),
  );

const watch = (service: string) => new Watcher(health.Watch({ service }));

it('Check: SERVING for the server, its services and ready models; NOT_FOUND for unknown names', async () => {
  for (const name of ['', 'amaas.v1.InferenceService', 'inference.GRPCInferenceService', 'scale', 'string_echo']) {
    expect([name, await check(name)]).toEqual([name, 'SERVING']);
  }
  await expect(check('no_such_model')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
});

it('Watch: a model goes NOT_SERVING when unloaded and SERVING again when loaded', async () => {
  const w = watch('scale');
  expect(await w.next()).toBe('SERVING');
  await oip.call('RepositoryModelUnload', { model_name: 'scale' });
  expect(await w.next()).toBe('NOT_SERVING');
  expect(await check('scale')).toBe('NOT_SERVING');
  expect(await check('')).toBe('SERVING');
  await oip.call('RepositoryModelLoad', { model_name: 'scale' });
  expect(await w.next()).toBe('SERVING');
  w.call.cancel();
});

it('Watch: an unknown name is SERVICE_UNKNOWN', async () => {
  const w = watch('not_yet_a_model');
  expect(await w.next()).toBe('SERVICE_UNKNOWN');
  w.call.cancel();
});

it('Watch: "" and every model go NOT_SERVING when the server drains, then the stream ends', async () => {
  const server = watch('');
  const model = watch('string_echo');
  expect(await server.next()).toBe('SERVING');
  expect(await model.next()).toBe('SERVING');
  const stopped = ts.server.shutdown();
  expect(await server.next()).toBe('NOT_SERVING');
  expect(await model.next()).toBe('NOT_SERVING');
  expect((await server.ended)?.code).toBe(grpc.status.UNAVAILABLE);
  await stopped;
});
