/**
 * Grants each client connection larger HTTP/2 flow-control windows than the 64 KiB HTTP/2 starts with, which
 * grpc-js's server leaves in place (it sets no window of its own and has no option for one).
 *
 * With 64 KiB a client may send only that much before the server's gRPC thread has read it and answered with a
 * WINDOW_UPDATE; a [64, 512] float32 request is 128 KiB. While that thread is busy, every caller on the
 * connection waits for window: requests age in the clients' send queues and arrive when their deadline has
 * (nearly) passed, so even a refusal comes late, and the clients' own deadline cancellations then trip
 * nghttp2's reset-flood guard, which closes the whole connection (BENCHMARKS.md, noisy neighbour).
 *
 * The connection window is raised with a WINDOW_UPDATE as each session starts (`setLocalWindowSize`), the
 * per-stream one with a SETTINGS frame (`initialWindowSize`). Both bound only bytes in flight: grpc-js still
 * refuses a message above max_message_bytes. grpc-js keeps its HTTP/2 listeners private (grpc-internals.ts);
 * without them this does nothing, and flow-control.test.ts fails to say so.
 */
import type * as grpc from '@grpc/grpc-js';
import { grpcInternals } from './grpc-internals';

export interface FlowControlWindows {
  /** The connection's receive window (all its streams together). */
  readonly connectionBytes: number;
  /** Each stream's initial receive window (SETTINGS_INITIAL_WINDOW_SIZE). */
  readonly streamBytes: number;
}

/** Applies `windows` to every connection `server` accepts from now on; call it right after bind. */
export function grantFlowControlWindows(server: grpc.Server, windows: FlowControlWindows): boolean {
  const internals = grpcInternals(server);
  if (!internals) return false;
  for (const listener of internals.http2Servers.keys()) {
    listener.on('session', (session) => {
      // A session that is already going away (or failed its handshake) takes no settings.
      if (session.destroyed || session.closed) return;
      try {
        session.setLocalWindowSize(windows.connectionBytes);
        session.settings({ initialWindowSize: windows.streamBytes });
      } catch {
        // The socket closed between accept and here: nothing to grant.
      }
    });
  }
  return true;
}
