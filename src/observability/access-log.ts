/**
 * The access log of inference calls: one `access` line per inference call or stream item, with its request
 * id, protocol, method, model, version, status, error code, duration, (auth on) tenant and (response_cache
 * on) `cache: hit | miss`. `access_log`
 * chooses which: `off`, `errors` (the default: only failed ones, so a busy server does not log every
 * success) or `all`. Lines go through the logger at info level (module `access`), so log_level warn or
 * error hides them too.
 */
import { performance } from 'node:perf_hooks';
import type { AccessLogMode } from '../config/observability-schema';
import { excerpt } from '../errors-format';
import { Logger, createLogger } from './logging';

export type { AccessLogMode };

/** amaas.v1, the Open Inference Protocol over gRPC, or its REST binding. */
export type AccessProtocol = 'amaas' | 'kserve' | 'rest';

/** Where a line comes from; fixed per handler, so nothing is built per call. */
export interface AccessSite {
  readonly protocol: AccessProtocol;
  /** The RPC (`Predict`, `ModelStreamInfer`) or the REST route (`POST /v2/models/{model}/infer`). */
  readonly method: string;
}

export interface AccessEntry {
  readonly requestId: string;
  readonly model?: string;
  readonly version?: unknown;
  /** gRPC status name (`OK`, `NOT_FOUND`) or HTTP status code. */
  readonly status: string | number;
  /** The AMAAS_ERR_* code; '' when the call succeeded. */
  readonly errorCode: string;
  /** Tenant of the caller; undefined when auth is off. */
  readonly tenant?: string;
  /** Whether the response cache answered the call; undefined when the model has no cache (or it failed). */
  readonly cacheHit?: boolean;
}

export class AccessLog {
  private readonly timing: boolean;

  constructor(
    readonly mode: AccessLogMode,
    private readonly log: Logger = createLogger('access'),
  ) {
    this.timing = mode !== 'off';
  }

  /** A start time for duration_ms (performance.now()); 0 with the log off, which then never reads the clock. */
  start(): number {
    return this.timing ? performance.now() : 0;
  }

  /** Whether a call that ended this way gets a line: callers check this before gathering an entry. */
  wants(failed: boolean): boolean {
    return failed ? this.timing : this.mode === 'all';
  }

  write(site: AccessSite, started: number, entry: AccessEntry): void {
    const version = entry.version === undefined || entry.version === null ? '' : String(entry.version);
    this.log.info('access', {
      request_id: entry.requestId,
      protocol: site.protocol,
      method: site.method,
      // Client-given names, cut like every name a message shows (pino escapes them).
      model: excerpt(entry.model ?? ''),
      version: version === '0' ? '' : excerpt(version),
      status: entry.status,
      error_code: entry.errorCode,
      duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
      ...(entry.tenant !== undefined ? { tenant: entry.tenant } : {}),
      ...(entry.cacheHit !== undefined ? { cache: entry.cacheHit ? 'hit' : 'miss' } : {}),
    });
  }
}
