/**
 * grpc.health.v1 Watch: the status now, then every change (SERVICE_UNKNOWN while the name is unknown). On the
 * shutdown signal the stream gets NOT_SERVING at once; once the server drains (after shutdown_delay_ms) it ends
 * with UNAVAILABLE, so that it does not hold up the shutdown; watchers reconnect to another replica.
 */
import type * as grpc from '@grpc/grpc-js';
import { AmaasError } from '../../errors';
import type { DrainState } from '../drain';
import { toServiceError } from '../status-map';
import type { HealthStatus } from './health-status';

export function healthWatchHandler(health: HealthStatus, drain: DrainState): grpc.handleServerStreamingCall<{ service: string }, { status: string }> {
  return (call) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      stopWatching();
      stopDrain();
    };
    const stopWatching = health.watch(call.request.service ?? '', (status) => {
      if (!done) call.write({ status: status ?? 'SERVICE_UNKNOWN' });
    });
    // NOT_SERVING was written when the server turned unready, which always comes before draining.
    const stopDrain = drain.onDrain(() => {
      if (done) return;
      finish();
      call.emit('error', toServiceError(new AmaasError('AMAAS_ERR_SHUTTING_DOWN', 'the server is shutting down; watch another replica')));
    });
    call.on('cancelled', finish);
    if (drain.draining) {
      finish();
      call.emit('error', toServiceError(new AmaasError('AMAAS_ERR_SHUTTING_DOWN', 'the server is shutting down; watch another replica')));
    }
  };
}
