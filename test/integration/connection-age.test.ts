/**
 * max_connection_age_ms (grpc-js's connection ageing): the server sends HTTP/2 GOAWAY to each connection that
 * reaches its age, so clients reconnect and long-lived connections spread over replicas added since. Observed
 * with raw Node HTTP/2 sessions (a GOAWAY is a connection event the gRPC client hides), while an SDK client
 * keeps calling across the reconnections and loses nothing.
 */
import http2 from 'node:http2';
import { makeRepository } from '../helpers/model-repository';
import { TestServer, startTestServer } from '../helpers/test-server';
import { until } from '../helpers/until';

/** Keeps one raw HTTP/2 session open to `address`, reopening it after each GOAWAY, and counts the GOAWAYs. */
class GoawayWatcher {
  goaways = 0;
  private session: http2.ClientHttp2Session | null = null;
  private closed = false;

  constructor(private readonly address: string) {
    this.open();
  }

  private open(): void {
    const s = http2.connect(`http://${this.address}`);
    s.on('error', () => undefined);
    s.once('goaway', () => {
      this.goaways++;
      s.close();
      if (!this.closed) this.open();
    });
    this.session = s;
  }

  close(): void {
    this.closed = true;
    this.session?.destroy();
  }
}

const x = { x: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } };
let aged: TestServer;
let plain: TestServer;

beforeAll(async () => {
  const repo = await makeRepository([{ model: 'scale' }]);
  aged = await startTestServer(repo, { max_connection_age_ms: 200, max_connection_age_grace_ms: 5000 });
  plain = await startTestServer(repo);
});

afterAll(async () => {
  await aged?.stop();
  await plain?.stop();
});

it('sends GOAWAY to connections past max_connection_age_ms, and never without it', async () => {
  const onAged = new GoawayWatcher(aged.address);
  const onPlain = new GoawayWatcher(plain.address);
  try {
    await until(() => onAged.goaways >= 3, 'three connections to the ageing server to be sent GOAWAY', 20_000, 10);
    expect(onPlain.goaways).toBe(0);
  } finally {
    onAged.close();
    onPlain.close();
  }
});

it('answers every call of a client that keeps calling while its connections are aged out', async () => {
  const watcher = new GoawayWatcher(aged.address);
  let answered = 0;
  try {
    // Calls until several ages have passed (the raw session ages alongside the client's), bounded by count.
    for (let i = 0; i < 20_000 && watcher.goaways < 3; i++) {
      const r = await aged.client.predict('scale', x);
      expect(r.outputs.y.data).toBeDefined();
      answered++;
    }
    expect(watcher.goaways).toBeGreaterThanOrEqual(3);
    expect(answered).toBeGreaterThan(0);
  } finally {
    watcher.close();
  }
});
