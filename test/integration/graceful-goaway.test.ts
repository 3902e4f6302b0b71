/**
 * The drain's GOAWAY (src/api/graceful-goaway.ts): a connection open at shutdown first gets the notice GOAWAY
 * (last stream id 2^31-1, which refuses nothing already sent), and only then is closed; a call in flight on the
 * SDK's connection is answered. Observed with a raw Node HTTP/2 session, since the gRPC client hides GOAWAYs. If
 * a grpc-js upgrade hides the internals this relies on, the first GOAWAY names stream 0 and this test fails.
 */
import http2 from 'node:http2';
import { makeRepository } from '../helpers/model-repository';
import { TestServer, startTestServer } from '../helpers/test-server';
import { WorkerHold } from '../helpers/worker-hold';
import { until } from '../helpers/until';

const hold = new WorkerHold();
let ts: TestServer;

beforeAll(async () => {
  const repo = await makeRepository([{ model: 'scale' }]);
  hold.install();
  ts = await startTestServer(repo);
});

afterAll(async () => {
  hold.release();
  hold.cleanup();
});

it('sends the GOAWAY notice before closing, and answers the call in flight', async () => {
  const session = http2.connect(`http://${ts.address}`);
  session.on('error', () => undefined);
  const goaways: number[] = [];
  session.on('goaway', (_code: number, lastStreamID: number) => goaways.push(lastStreamID));
  await new Promise<void>((resolve) => session.once('connect', () => resolve()));

  hold.hold();
  const inFlight = ts.client.predict('scale', { x: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } }, { timeoutMs: 30_000 });
  await hold.waitHeld(1);
  const stopped = ts.server.shutdown();
  await until(() => goaways.length >= 1, 'the GOAWAY notice', 20_000);
  expect(goaways[0]).toBe(2 ** 31 - 1);
  hold.release();
  const r = await inFlight;
  expect(Array.from(r.outputs.y.data as Float32Array)).toEqual([3, 5, 7, 9]);
  await stopped;
  session.destroy();
  ts.client.close();
}, 60_000);
