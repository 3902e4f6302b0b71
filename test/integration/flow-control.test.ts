/**
 * flow_control_window_bytes and stream_flow_control_window_bytes: the server grants each connection its
 * configured HTTP/2 windows (observed from a raw Node HTTP/2 session, where the windows are visible), and a
 * request many times larger than the stream window still arrives whole and is answered as onnxruntime answers it.
 */
import http2 from 'node:http2';
import { makeRepository, modelPath } from '../helpers/model-repository';
import { releaseDirectSessions, runDirect, values } from '../helpers/ort-direct';
import { TestServer, startTestServer } from '../helpers/test-server';
import { until } from '../helpers/until';
import { DEFAULT_FLOW_CONTROL_WINDOW_BYTES, DEFAULT_STREAM_FLOW_CONTROL_WINDOW_BYTES } from '../../src/config/transport-schema';

let repo: string;
const servers: TestServer[] = [];

beforeAll(async () => {
  repo = await makeRepository([{ model: 'scale' }]);
});

afterAll(async () => {
  for (const s of servers) await s.stop();
  await releaseDirectSessions();
});

async function serve(overrides: Record<string, unknown> = {}): Promise<TestServer> {
  const s = await startTestServer(repo, overrides);
  servers.push(s);
  return s;
}

/** The windows `address` grants a fresh connection: its SETTINGS_INITIAL_WINDOW_SIZE and the connection window. */
async function grantedWindows(address: string, expectStream: number, expectConnection: number) {
  const session = http2.connect(`http://${address}`);
  session.on('error', () => undefined);
  try {
    // The server's own SETTINGS and WINDOW_UPDATE follow its first SETTINGS frame; wait for them (bound: a hang).
    await until(
      () => session.remoteSettings?.initialWindowSize === expectStream && session.state.remoteWindowSize === expectConnection,
      `the server's windows (stream ${expectStream}, connection ${expectConnection})`,
      10_000,
    );
    return { stream: session.remoteSettings.initialWindowSize, connection: session.state.remoteWindowSize };
  } finally {
    session.destroy();
  }
}

it('grants the default windows, larger than HTTP/2 starts with', async () => {
  const s = await serve();
  const granted = await grantedWindows(s.address, DEFAULT_STREAM_FLOW_CONTROL_WINDOW_BYTES, DEFAULT_FLOW_CONTROL_WINDOW_BYTES);
  expect(granted).toEqual({ stream: 2 ** 20, connection: 16 * 2 ** 20 });
});

it('grants the configured windows, written as sizes', async () => {
  const s = await serve({ flow_control_window_bytes: '4MiB', stream_flow_control_window_bytes: '256KiB' });
  expect(await grantedWindows(s.address, 256 * 1024, 4 * 2 ** 20)).toEqual({ stream: 256 * 1024, connection: 4 * 2 ** 20 });
});

it('answers a request 16 times the stream window exactly, through the smallest windows', async () => {
  const s = await serve({ flow_control_window_bytes: 65_535, stream_flow_control_window_bytes: 65_535 });
  await grantedWindows(s.address, 65_535, 65_535);
  const rows = 65_536; // [65536, 4] float32: 1 MiB
  const data = Float32Array.from({ length: rows * 4 }, (_, i) => (i % 97) - 48.5);
  const answer = await s.client.predict('scale', { x: { data, dims: [rows, 4] } });
  const expected = await runDirect(modelPath(repo, 'scale'), { x: { type: 'float32', dims: [rows, 4], data } });
  expect(answer.outputs.y.dims).toEqual([rows, 4]);
  expect(values(answer.outputs.y.data)).toEqual(expected.y.values);
});
