/**
 * Closes the gRPC port without losing a stream that a client or balancer already sent (RFC 9113 §6.8).
 *
 * What grpc-js offers falls short of this: `tryShutdown()` closes the listeners and calls Node's
 * `http2session.close()` on each connection, and `drain(port, grace)` does the same to one port (then destroys what
 * is left after the grace time). `session.close()` sends GOAWAY with the last stream id the session has processed
 * (Node's C++ `Http2Session::Goaway` picks `nghttp2_session_get_last_proc_stream_id` when given 0), so a request
 * the peer sent in the same instant carries a higher id and is dropped unprocessed; nginx answers it with an error.
 *
 * The graceful sequence, as HTTP/2 describes it: close the listeners (new connections are refused, which a
 * balancer retries elsewhere); on each connection send GOAWAY with the largest stream id (2^31-1), a notice
 * that loses nothing: the peer stops opening streams here; then send a PING, whose ack proves that the peer has
 * read the notice and that every stream it sent before it has arrived; only then `tryShutdown()`, whose GOAWAY
 * names the true last stream, and which calls back once every stream in flight has ended.
 *
 * nginx does not read its idle cached upstream connections: it reads the notice (and acks the PING) only when it
 * next sends a call on one, which is served, and then drops the connection. So under traffic every connection
 * acks soon; the wait is bounded (NOTICE_BOUND_MS, or the drain timeout if shorter) for connections nobody uses.
 *
 * grpc-js keeps its listeners and sessions private (`http2Servers` with each one's sessions, and `sessions`, as of 1.14); when it no longer
 * has them, this falls back to plain `tryShutdown()` (and graceful-goaway.test.ts fails, to say so).
 */
import type * as grpc from '@grpc/grpc-js';
import http2 from 'node:http2';

/** How long the notice's PING may wait for its ack before the final GOAWAY (see the comment above). */
export const NOTICE_BOUND_MS = 5000;

/** The largest stream id: a GOAWAY naming it refuses nothing the peer has sent. */
const NOTICE_LAST_STREAM_ID = 2 ** 31 - 1;

interface GrpcServerInternals {
  readonly http2Servers?: Map<{ close(cb?: () => void): void }, { sessions?: Set<http2.ServerHttp2Session> } | undefined>;
  readonly sessions?: Map<http2.ServerHttp2Session, unknown>;
}

type NoticeOutcome = 'acked' | 'closed' | 'timed_out' | 'failed';

/** Sends the GOAWAY notice and resolves when the peer has acked a PING after it (or the session ended, or `boundMs`). */
function notice(session: http2.ServerHttp2Session, boundMs: number): Promise<NoticeOutcome> {
  if (session.closed || session.destroyed) return Promise.resolve('closed');
  return new Promise<NoticeOutcome>((resolve) => {
    let settled = false;
    const done = (outcome: NoticeOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.off('close', onClose);
      resolve(outcome);
    };
    const timer = setTimeout(() => done('timed_out'), boundMs);
    const onClose = () => done('closed');
    session.once('close', onClose);
    try {
      session.goaway(http2.constants.NGHTTP2_NO_ERROR, NOTICE_LAST_STREAM_ID);
      if (!session.ping((err) => done(err ? 'failed' : 'acked'))) done('failed');
    } catch {
      done('failed');
    }
  });
}

/**
 * Stops `server` taking connections and streams gracefully; resolves once every stream has ended (the caller
 * bounds that with drain_timeout_ms and forceShutdown). `pingBoundMs` caps the wait for a peer that never acks.
 */
export async function goAwayGracefully(server: grpc.Server, pingBoundMs = NOTICE_BOUND_MS): Promise<{ graceful: boolean; notices: Record<NoticeOutcome, number> }> {
  const internals = server as unknown as GrpcServerInternals;
  const graceful = internals.http2Servers instanceof Map;
  const notices: Record<NoticeOutcome, number> = { acked: 0, closed: 0, timed_out: 0, failed: 0 };
  if (graceful) {
    // Closing a listener resets the connections still in its accept queue, whose requests a balancer counts
    // as sent (nginx does not retry them). Closing from the check phase, just after the poll phase accepted
    // every pending connection, leaves that queue empty but for connections made in the same instant.
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (const listener of internals.http2Servers!.keys()) listener.close();
    // Each listener's own set (filled with channelz on or off), and the server-wide map (channelz on).
    const sessions = new Set<http2.ServerHttp2Session>(internals.sessions?.keys() ?? []);
    for (const entry of internals.http2Servers!.values()) for (const s of entry?.sessions ?? []) sessions.add(s);
    for (const outcome of await Promise.all([...sessions].map((s) => notice(s, pingBoundMs)))) notices[outcome]++;
  }
  await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  return { graceful, notices };
}
