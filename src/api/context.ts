/** What every RPC handler may use: the data plane, the registry, server settings, shutdown state and security. */
import type { ServerConfig } from '../config/schema';
import type { Tracing } from '../observability';
import type { AccessLog } from '../observability/access-log';
import type { ModelRegistry } from '../repository/model-registry';
import type { Security } from '../security';
import type { InferenceService } from '../service/inference-service';
import type { DrainState } from './drain';

export interface ApiContext {
  readonly service: InferenceService;
  readonly registry: ModelRegistry;
  readonly config: ServerConfig;
  readonly drain: DrainState;
  /** Authentication for the HTTP binding (gRPC calls pass the interceptor); handlers use identityOf(call). */
  readonly security: Security;
  /** The access log of inference calls (access_log). */
  readonly accessLog: AccessLog;
  /** OpenTelemetry tracing; null when it is off (tracing.otlp_endpoint unset), the handlers' one check. */
  readonly tracing: Tracing | null;
}
