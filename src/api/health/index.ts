/** grpc.health.v1.Health: the handlers, for grpc.Server.addService. */
import type * as grpc from '@grpc/grpc-js';
import type { DrainState } from '../drain';
import { healthCheckHandler } from './check';
import type { HealthStatus } from './health-status';
import { healthWatchHandler } from './watch';

export function healthServiceHandlers(health: HealthStatus, drain: DrainState): grpc.UntypedServiceImplementation {
  return { Check: healthCheckHandler(health), Watch: healthWatchHandler(health, drain) } as grpc.UntypedServiceImplementation;
}
