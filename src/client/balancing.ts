/**
 * Client-side balancing for the SDK, with what grpc-js has built in (no resolver of our own):
 *  - `dns:///name:port` uses grpc-js's DNS resolver: every A/AAAA record is a backend (a Kubernetes headless
 *    Service gives one per ready pod, and grpc-js re-resolves when a connection drops);
 *  - a list `host:port,host:port` of IP literals becomes grpc-js's static `ipv4:` / `ipv6:` target; names in a
 *    list are refused (use dns:/// with one name that resolves to them all);
 *  - one `host:port` (or any other grpc-js target) is passed as it is.
 * The service config picks `round_robin` (grpc-js's default, pick_first, sends everything to one backend) and
 * a retry policy for UNAVAILABLE (a replica gone or draining) and RESOURCE_EXHAUSTED (a full queue): grpc-js
 * sends each attempt on the next backend round_robin picks, waits the server's grpc-retry-pushback-ms when it
 * gives one (and does not retry when it says not to), and never past the call's deadline.
 */
import type * as grpc from '@grpc/grpc-js';
import { status as Status } from '@grpc/grpc-js';

/** The services whose calls the retry policy covers (inference and metadata; not model control, whose load is not idempotent). */
const RETRIED_SERVICES = ['amaas.v1.InferenceService', 'inference.GRPCInferenceService'];

export interface RetryPolicy {
  /** Attempts per call, the first included (grpc-js caps this at 5). */
  readonly maxAttempts: number;
  /** Backoff before the second attempt, in ms, growing by `backoffMultiplier` up to `maxBackoffMs` (with jitter). */
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly backoffMultiplier: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, initialBackoffMs: 20, maxBackoffMs: 1000, backoffMultiplier: 2 };

const IPV4 = /^(\d{1,3}\.){3}\d{1,3}:\d+$/;
const IPV6 = /^\[[0-9a-fA-F:.]+\]:\d+$/;

/** Whether `address` names several backends (a list or a dns:/// name), which the SDK balances over. */
export function isBalancedAddress(address: string): boolean {
  return address.includes(',') || address.startsWith('dns:');
}

/** The grpc-js target for an SDK address (see the file comment); throws a TypeError for a list it cannot express. */
export function channelTarget(address: string): string {
  if (!address.includes(',') || /^(ipv4|ipv6):/.test(address)) return address;
  const parts = address.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.every((p) => IPV4.test(p))) return `ipv4:${parts.join(',')}`;
  if (parts.every((p) => IPV6.test(p))) return `ipv6:${parts.join(',')}`;
  throw new TypeError(
    `address list ${JSON.stringify(address)}: give IP literals (all IPv4 or all IPv6, host:port each), or one dns:///name:port whose records are the backends`,
  );
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(3)}s`;

/** The grpc.service_config channel option: round_robin, and `retry` (null: none) for the inference services. */
export function serviceConfig(retry: RetryPolicy | null): string {
  return JSON.stringify({
    loadBalancingConfig: [{ round_robin: {} }],
    ...(retry === null
      ? {}
      : {
          methodConfig: [
            {
              name: RETRIED_SERVICES.map((service) => ({ service })),
              retryPolicy: {
                maxAttempts: retry.maxAttempts,
                initialBackoff: seconds(retry.initialBackoffMs),
                maxBackoff: seconds(retry.maxBackoffMs),
                backoffMultiplier: retry.backoffMultiplier,
                retryableStatusCodes: ['UNAVAILABLE', 'RESOURCE_EXHAUSTED'],
              },
            },
          ],
        }),
  });
}

/** Whether the client retries (the policy above, and resending cut-off inference answers). */
export function retriesEnabled(address: string, retry: RetryPolicy | boolean | undefined): boolean {
  return retry === undefined ? isBalancedAddress(address) : retry !== false;
}

/**
 * How many times predict resends a call whose answer was cut off mid-way: a replica that dies after its
 * response headers left (SIGKILL, OOM) leaves the call committed in grpc-js, which then never retries it, and a
 * balancer such as nginx resets the stream (INTERNAL, "RST_STREAM"). Inference is a pure function of its
 * inputs, so sending it again is safe; model control is never resent.
 */
export const CUT_ANSWER_RESENDS = 2;

/** A call whose answer a connection reset cut off (see CUT_ANSWER_RESENDS). */
export function isCutAnswer(err: { code?: number; details?: string }): boolean {
  return err.code === Status.INTERNAL && /RST_STREAM/.test(err.details ?? '');
}

/**
 * The channel options for `address`: a balanced address (or `retry` set) gets the service config; otherwise
 * none, so a single-server client keeps grpc-js's defaults (a full queue answers at once, unretried).
 */
export function balancingOptions(address: string, retry: RetryPolicy | boolean | undefined): grpc.ChannelOptions {
  const policy = retry === false ? null : retry === true || retry === undefined ? DEFAULT_RETRY_POLICY : retry;
  if (!isBalancedAddress(address) && (retry === undefined || retry === false)) return {};
  // grpc-js ignores a service config from DNS TXT records unless asked; ours is the one that applies.
  return { 'grpc.service_config': serviceConfig(policy), 'grpc.service_config_disable_resolution': 1 };
}
