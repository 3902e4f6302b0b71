/**
 * The one place that reads grpc-js's private server state: its HTTP/2 listeners (`http2Servers`, each with the
 * sessions it accepted) and the server-wide `sessions` map, as of grpc-js 1.14. The graceful drain
 * (graceful-goaway.ts) and the flow-control grant (flow-control.ts) need them, since grpc-js offers no public
 * hook for either; when grpc-js no longer has them, both fall back and their tests fail to say so.
 */
import type * as grpc from '@grpc/grpc-js';
import type http2 from 'node:http2';

export interface Http2Listener {
  close(cb?: () => void): void;
  on(event: 'stream', listener: (stream: http2.ServerHttp2Stream) => void): unknown;
  on(event: 'session', listener: (session: http2.ServerHttp2Session) => void): unknown;
}

export interface GrpcServerInternals {
  readonly http2Servers: Map<Http2Listener, { sessions?: Set<http2.ServerHttp2Session> } | undefined>;
  readonly sessions?: Map<http2.ServerHttp2Session, unknown>;
}

/** `server`'s private listeners and sessions, or null when this grpc-js keeps them elsewhere. */
export function grpcInternals(server: grpc.Server): GrpcServerInternals | null {
  const internals = server as unknown as Partial<GrpcServerInternals>;
  return internals.http2Servers instanceof Map ? (internals as GrpcServerInternals) : null;
}
