/**
 * Closes the gRPC port without losing a stream that a client or balancer already sent (RFC 9113 §6.8).
 *
 * What grpc-js offers falls short of this: `tryShutdown()` closes the listeners and calls Node's
 * `http2session.close()` on each connection, and `drain(port, grace)` does the same to one port (then destroys what
 * is left after the grace time). `session.close()` sends GOAWAY with the last stream id the session has processed
 * (Node's C++ `Http2Session::Goaway` picks `nghttp2_session_get_last_proc_stream_id` when given 0), so a request
 * the peer sent in the same instant carries a higher id and is dropped unprocessed; nginx answers it with an error
 * (it resends a call it has sent upstream only when it had the whole request body first, often not the case).
 *
 * Two facts shape the sequence:
 *  - Node stops reading a connection once it has sent a GOAWAY and has no stream open on it (it asks nghttp2's
 *    `want_read`, which is then 0), and never resumes. A GOAWAY notice (last stream id 2^31-1) sent to an IDLE
 *    connection therefore does refuse what the peer sends next: those bytes stay unread until the final GOAWAY
 *    refuses them. nginx takes an idle upstream connection from its keepalive cache for a new call at any
 *    instant, so each notice to an idle nginx connection risked one call.
 *  - nginx closes an idle cached upstream connection as soon as any byte arrives on it (its keepalive module's
 *    close handler), and on a connection that carries a call it acks a PING and, after a GOAWAY that came
 *    before the call's end, does not put the connection back in its cache. nginx runs one call at a time per
 *    upstream connection. A GOAWAY queued behind a response's trailers reaches nginx after it has cached the
 *    connection and maybe sent the next call on it, which Node, with no stream open, then does not read.
 *
 * So each connection is settled on its own (`settle`), and a GOAWAY goes only to a connection with a response
 * still being written (its stream's end not yet queued): Node keeps reading it, and the peer reads the notice
 * before that response's end:
 *  - a response being written: the GOAWAY notice and a PING; done at the ack, at the close, or when its last
 *    stream ends (Node then reads no more from it, so waiting longer learns nothing);
 *  - otherwise (idle, or responses already ended): a PING alone, which refuses nothing. nginx closes an idle
 *    connection on it (done). An ack starts another round; a peer that acks two in a row with no stream opened
 *    is a client that reads idle connections (a gRPC channel), and gets the notice then. One ack is not proof:
 *    nginx acks a PING that it reads together with a response's end, and then caches the connection.
 * Then `tryShutdown()`, whose GOAWAY names the true last stream, and which calls back once every stream has ended.
 * The whole wait is bounded (NOTICE_BOUND_MS, or the drain timeout if shorter) for peers that never answer.
 *
 * grpc-js keeps its listeners and sessions private (read in grpc-internals.ts); when it no longer has them, this
 * falls back to plain `tryShutdown()` (and graceful-goaway.test.ts fails, to say so).
 */
import type * as grpc from '@grpc/grpc-js';
import http2 from 'node:http2';
import { grpcInternals } from './grpc-internals';

/** How long settling the connections may take before the final GOAWAY (see the comment above). */
export const NOTICE_BOUND_MS = 5000;

/** The largest stream id: a GOAWAY naming it refuses nothing the peer has sent. */
const NOTICE_LAST_STREAM_ID = 2 ** 31 - 1;

/** The streams of one connection: those not yet closed, and how many it has opened in all. */
interface SessionStreams {
  readonly open: Set<http2.ServerHttp2Stream>;
  opened: number;
  /** Called when a stream opens, and when its last open stream closes (the notice's round watches it). */
  onChange: (() => void) | null;
}

/** Which streams each connection of a server has open: `settle` sends a GOAWAY only where a response is being written. */
export class StreamTracker {
  private readonly bySession = new WeakMap<http2.Http2Session, SessionStreams>();

  /** Starts counting `server`'s streams; call it once, right after bind, so no stream is missed. */
  constructor(server: grpc.Server) {
    for (const listener of grpcInternals(server)?.http2Servers.keys() ?? []) listener.on('stream', (stream) => this.add(stream));
  }

  of(session: http2.Http2Session): SessionStreams {
    let s = this.bySession.get(session);
    if (!s) this.bySession.set(session, (s = { open: new Set(), opened: 0, onChange: null }));
    return s;
  }

  private add(stream: http2.ServerHttp2Stream): void {
    if (!stream.session) return;
    const s = this.of(stream.session);
    s.open.add(stream);
    s.opened++;
    s.onChange?.();
    stream.once('close', () => {
      s.open.delete(stream);
      if (s.open.size === 0) s.onChange?.();
    });
  }
}

/**
 * How a connection was settled before the final GOAWAY: the peer closed it; it had a response being written and
 * got the notice, then acked the PING or saw its last stream end; it acked two PINGs while idle and got the
 * notice then; or none of these within the bound.
 */
type Outcome = 'closed' | 'acked' | 'ended' | 'idle' | 'timed_out' | 'failed';

/**
 * A stream whose end (trailers, or a trailers-only response) is not yet queued: a GOAWAY sent now goes out
 * before it. grpc-js calls `end()` before it queues either; `closed` turns true as nghttp2 closes the stream.
 */
function isResponding(streams: SessionStreams): boolean {
  for (const s of streams.open) if (!s.closed && !s.writableEnded) return true;
  return false;
}

/** A stream nghttp2 has not closed: while there is one, Node reads the connection. */
function hasOpenStream(streams: SessionStreams): boolean {
  for (const s of streams.open) if (!s.closed) return true;
  return false;
}

/**
 * Sends a PING, after a GOAWAY notice when `notice`; resolves at its ack, at the session's close, when no
 * stream is open (only after a notice: Node reads no more then), or at `deadline`.
 */
function round(session: http2.ServerHttp2Session, streams: SessionStreams, notice: boolean, deadline: number): Promise<Outcome> {
  if (session.closed || session.destroyed) return Promise.resolve('closed');
  return new Promise<Outcome>((resolve) => {
    let settled = false;
    const done = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.off('close', onClose);
      streams.onChange = null;
      resolve(outcome);
    };
    const timer = setTimeout(() => done('timed_out'), Math.max(0, deadline - Date.now()));
    const onClose = () => done('closed');
    session.once('close', onClose);
    try {
      if (notice) session.goaway(http2.constants.NGHTTP2_NO_ERROR, NOTICE_LAST_STREAM_ID);
      if (!session.ping((err) => done(err ? 'failed' : 'acked'))) return done('failed');
      if (!notice) return;
      const ended = () => {
        if (!hasOpenStream(streams)) done('ended');
      };
      ended();
      if (!settled) streams.onChange = ended;
    } catch {
      done('failed');
    }
  });
}

/** Leads one connection to stop opening streams without refusing one it sent (the rules in the comment above). */
async function settle(session: http2.ServerHttp2Session, streams: SessionStreams, deadline: number): Promise<Outcome> {
  for (let quietAcks = 0; ; ) {
    if (isResponding(streams)) return round(session, streams, true, deadline);
    const opened = streams.opened;
    const outcome = await round(session, streams, false, deadline);
    if (outcome !== 'acked') return outcome;
    quietAcks = streams.opened === opened ? quietAcks + 1 : 0;
    // Two PINGs acked in a row with no stream opened: a client that reads idle connections; the notice stops
    // it. One is not proof: nginx acks a PING it reads together with a response's end, then caches the connection.
    if (quietAcks === 2) {
      const noticed = await round(session, streams, true, deadline);
      return noticed === 'ended' ? 'idle' : noticed;
    }
  }
}

/**
 * Stops `server` taking connections and streams gracefully; resolves once every stream has ended (the caller
 * bounds that with drain_timeout_ms and forceShutdown). `boundMs` caps the wait for peers that never answer.
 */
export async function goAwayGracefully(
  server: grpc.Server,
  tracker: StreamTracker,
  boundMs = NOTICE_BOUND_MS,
): Promise<{ graceful: boolean; connections: Record<Outcome, number> }> {
  const internals = grpcInternals(server);
  const connections: Record<Outcome, number> = { closed: 0, acked: 0, ended: 0, idle: 0, timed_out: 0, failed: 0 };
  if (internals) {
    // Closing a listener resets the connections still in its accept queue, whose requests a balancer counts
    // as sent (nginx does not retry them). Closing from the check phase, just after the poll phase accepted
    // every pending connection, leaves that queue empty but for connections made in the same instant.
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (const listener of internals.http2Servers.keys()) listener.close();
    // Each listener's own set (filled with channelz on or off), and the server-wide map (channelz on).
    const sessions = new Set<http2.ServerHttp2Session>(internals.sessions?.keys() ?? []);
    for (const entry of internals.http2Servers.values()) for (const s of entry?.sessions ?? []) sessions.add(s);
    const deadline = Date.now() + boundMs;
    for (const outcome of await Promise.all([...sessions].map((s) => settle(s, tracker.of(s), deadline)))) connections[outcome]++;
  }
  await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  return { graceful: internals !== null, connections };
}
