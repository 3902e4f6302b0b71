/**
 * The drain's GOAWAY (src/api/graceful-goaway.ts): a connection open at shutdown first gets the notice GOAWAY
 * (last stream id 2^31-1, which refuses nothing already sent), and only then is closed; a call in flight on the
 * SDK's connection is answered. Observed with a raw Node HTTP/2 session, since the gRPC client hides GOAWAYs. If
 * a grpc-js upgrade hides the internals this relies on, the first GOAWAY names stream 0 and this test fails.
 *
 * And the race a balancer runs (nginx takes an upstream connection for its next call as soon as the last one
 * ended): a call sent just as the drain's first frame reaches a connection, before the client has read that
 * frame, is answered: on an idle connection, on one whose last response the drain itself ended, and on one whose
 * client acked the drain's first PING together with that response's end (nginx does, then reuses the
 * connection). The client's socket is gated so the call's bytes leave before the client reads the frame.
 */
import http2 from 'node:http2';
import net from 'node:net';
import { Duplex } from 'node:stream';
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
  await ts.server.shutdown(); // done by the first test when it passes; here too, so a failure cannot hang jest
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

/** HTTP/2 frame types (RFC 9113 §6) the gate stops at: the drain's first frame is one of them. */
const PING = 0x6;
const GOAWAY = 0x7;

/**
 * A client socket that, once armed, passes the server's frames up to its first PING or GOAWAY (or past the
 * first `passPings` PINGs) and holds that one and all after it: the client has read a response's end but not
 * the drain, as nginx when it takes a connection for its next call. releaseAfterNextWrite() delivers the rest.
 */
class GatedSocket extends Duplex {
  private pending = Buffer.alloc(0);
  private held: Buffer[] | null = null;
  private armed: (() => void) | null = null;
  private passPings = 0;
  private onNextWrite: (() => void) | null = null;

  constructor(private readonly socket: net.Socket) {
    super();
    socket.on('data', (d: Buffer) => this.inbound(d));
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
  }

  /** From now on, holds the first GOAWAY, or PING after `passPings` of them, and all after it; `onHeld` runs when that frame arrives. */
  arm(onHeld: () => void, passPings = 0): void {
    this.armed = onHeld;
    this.passPings = passPings;
  }

  /** Delivers the held bytes (and what follows) after the next write has reached the socket. */
  releaseAfterNextWrite(): void {
    this.onNextWrite = () => {
      const held = this.held ?? [];
      this.held = null;
      for (const d of held) this.push(d);
    };
  }

  private inbound(d: Buffer): void {
    if (this.held) return void this.held.push(d);
    if (!this.armed) return void this.push(d);
    // Armed: pass whole frames until the first PING or GOAWAY.
    this.pending = Buffer.concat([this.pending, d]);
    while (this.pending.length >= 9) {
      const size = 9 + this.pending.readUIntBE(0, 3);
      const type = this.pending[3];
      if (type === GOAWAY || (type === PING && this.passPings === 0)) {
        this.held = [this.pending];
        this.pending = Buffer.alloc(0);
        const onHeld = this.armed;
        this.armed = null;
        return onHeld();
      }
      if (this.pending.length < size) return;
      if (type === PING) this.passPings--;
      this.push(this.pending.subarray(0, size));
      this.pending = this.pending.subarray(size);
    }
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.socket.write(chunk, (err) => {
      cb(err);
      const next = this.onNextWrite;
      this.onNextWrite = null;
      next?.();
    });
  }

  override _final(cb: () => void): void {
    this.socket.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }
}

/** grpc.health.v1.Health/Check for the server as a whole, on a raw session: the grpc-status it ends with. */
function healthCheck(session: http2.ClientHttp2Session): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':method': 'POST', ':path': '/grpc.health.v1.Health/Check', 'content-type': 'application/grpc', te: 'trailers' });
    let status = '';
    req.on('response', (headers) => (status = String(headers['grpc-status'] ?? status)));
    req.on('trailers', (trailers) => (status = String(trailers['grpc-status'] ?? status)));
    req.on('error', reject);
    req.on('close', () => (status ? resolve(status) : reject(new Error(`stream closed without a grpc-status (rst code ${req.rstCode})`))));
    req.resume();
    req.end(Buffer.alloc(5)); // one uncompressed, empty message: HealthCheckRequest{service: ""}
  });
}

/**
 * The race, on a server of its own: a raw session through a GatedSocket; `setUp` puts the connection in the
 * state under test; then the server shuts down, and a health check goes out while the client's socket holds
 * the drain's frame (after `passPings` PINGs let through). Resolves with that check's grpc-status ('0': answered).
 * `afterShutdown`, if `setUp` returns one, runs once the shutdown has started.
 */
async function raceTheDrain(
  setUp: (session: http2.ClientHttp2Session) => Promise<{ afterShutdown?: () => Promise<void> }>,
  passPings: number,
  held: string,
): Promise<string> {
  const repo = await makeRepository([{ model: 'scale' }]);
  const other = await startTestServer(repo);
  const gated = new GatedSocket(net.connect(Number(other.address.split(':').pop()), '127.0.0.1'));
  const session = http2.connect(`http://${other.address}`, { createConnection: () => gated });
  session.on('error', () => undefined);
  try {
    const { afterShutdown } = await setUp(session);
    let raced: Promise<string> | null = null;
    gated.arm(() => {
      raced = healthCheck(session);
      raced.catch(() => undefined); // awaited below; a refusal fails the test there
      gated.releaseAfterNextWrite();
    }, passPings);
    const stopped = other.server.shutdown();
    await afterShutdown?.();
    await until(() => raced !== null, held, 20_000);
    const status = await raced!;
    await stopped;
    return status;
  } finally {
    session.destroy();
    other.client.close();
    await other.server.shutdown();
  }
}

it('answers a call sent on an idle connection as the drain reaches it, before the client read the drain', async () => {
  // The connection has carried a call and is idle, like a balancer's cached upstream connection.
  const status = await raceTheDrain(async (session) => {
    expect(await healthCheck(session)).toBe('0');
    return {};
  }, 0, "the drain's first frame");
  expect(status).toBe('0');
}, 60_000);

/** grpc.health.v1.Health/Watch on a raw session: resolves once its first message arrived, with its end's grpc-status. */
async function healthWatch(session: http2.ClientHttp2Session): Promise<{ ended: Promise<string> }> {
  const req = session.request({ ':method': 'POST', ':path': '/grpc.health.v1.Health/Watch', 'content-type': 'application/grpc', te: 'trailers' });
  const ended = new Promise<string>((resolve, reject) => {
    let status = '';
    req.on('trailers', (trailers) => (status = String(trailers['grpc-status'] ?? status)));
    req.on('error', reject);
    req.on('close', () => (status ? resolve(status) : reject(new Error(`watch closed without a grpc-status (rst code ${req.rstCode})`))));
  });
  ended.catch(() => undefined); // awaited by the caller
  req.end(Buffer.alloc(5));
  await new Promise<void>((resolve) => req.once('data', () => (req.resume(), resolve())));
  return { ended };
}

it('answers a call sent on a connection right after the drain ended its last response, before the client read the drain', async () => {
  // The drain ends this watch (UNAVAILABLE): the connection's only stream ends as the drain starts.
  const status = await raceTheDrain(async (session) => {
    const watch = await healthWatch(session);
    return { afterShutdown: async () => expect(await watch.ended).toBe('14') };
  }, 0, "the drain's first frame");
  expect(status).toBe('0');
}, 60_000);

it('answers a call sent on a connection after its client acked a PING read with the last response, before it read the next frame', async () => {
  // The drain's first PING reaches the client (which acks it) with the watch's end; the next frame is held.
  const status = await raceTheDrain(async (session) => {
    const watch = await healthWatch(session);
    return { afterShutdown: async () => expect(await watch.ended).toBe('14') };
  }, 1, "the drain's second frame");
  expect(status).toBe('0');
}, 60_000);
