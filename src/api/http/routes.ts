/**
 * The REST binding's endpoints: each turns a parsed request into a JSON answer by calling the same registry
 * and service the gRPC handlers use. Failures are thrown AmaasErrors; http-server.ts maps them to statuses.
 */
import { AmaasError } from '../../errors';
import { excerpt } from '../../errors-format';
import { HEALTH_FALSE_HTTP_STATUS, HEALTH_TRUE_HTTP_STATUS } from '../http-status-map';
import type { ApiContext } from '../context';
import { assertModelVisible, type Identity } from '../../security';
import type { Cancellation } from '../../scheduling/cancellation';
import type { RequestTrace } from '../../service/request-trace';
import { parseVersionString } from '../kserve/infer-wire';
import { modelMetadata, modelReady, serverMetadata } from '../kserve/metadata-wire';
import { decodeInferJson, encodeInferJson } from './infer-json';
import { withItemDeadline } from '../item-deadline';

export interface HttpAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HttpRequest {
  readonly method: string;
  readonly segments: readonly string[];
  /** Reads and parses the JSON body (only endpoints that take one call it). */
  readonly json: () => Promise<unknown>;
  readonly signal: Cancellation;
  /** The caller the security gate let through (undefined when auth is off or for an open health route). */
  readonly identity?: Identity;
  /** The request's trace (the infer route, tracing on and sampled). */
  readonly trace?: RequestTrace;
}

const ok = (body: unknown): HttpAnswer => ({ status: 200, body });
const health = (key: 'live' | 'ready', value: boolean): HttpAnswer => ({
  status: value ? HEALTH_TRUE_HTTP_STATUS : HEALTH_FALSE_HTTP_STATUS,
  body: { [key]: value },
});

const ROUTES_HELP =
  'GET /v2, /v2/health/live, /v2/health/ready, /v2/models/{model}[/versions/{version}][/ready]; POST /v2/models/{model}[/versions/{version}]/infer';

function notRouted(req: HttpRequest): AmaasError {
  return new AmaasError('AMAAS_ERR_INVALID_REQUEST', `no endpoint ${excerpt(`${req.method} /${req.segments.join('/')}`)} (endpoints: ${ROUTES_HELP})`);
}

export async function route(ctx: ApiContext, req: HttpRequest): Promise<HttpAnswer> {
  const s = req.segments;
  if (s[0] !== 'v2') throw notRouted(req);
  const get = req.method === 'GET' || req.method === 'HEAD';
  if (s.length === 1 && get) return ok(serverMetadata());
  if (s.length === 3 && s[1] === 'health' && get) {
    if (s[2] === 'live') return health('live', true);
    if (s[2] === 'ready') return health('ready', !ctx.drain.unready);
  }
  if (s[1] !== 'models' || s.length < 3) throw notRouted(req);
  // /v2/models/{m}[/versions/{v}][/{action}]
  const model = s[2];
  let rest = s.slice(3);
  let version = 0;
  if (rest[0] === 'versions' && rest.length >= 2) {
    version = parseVersionString(rest[1]);
    rest = rest.slice(2);
  }
  assertModelVisible(req.identity, ctx.registry, model);
  if (rest.length === 0 && get) return ok(modelMetadata(ctx.registry, model, version));
  if (rest.length === 1 && rest[0] === 'ready' && get) {
    return health('ready', modelReady(ctx.registry, model, version) && !ctx.drain.unready);
  }
  if (rest.length === 1 && rest[0] === 'infer' && req.method === 'POST') {
    // Served while draining too: the listener is closed, and this request came on a connection the answer closes.
    const decoded = decodeInferJson(model, version, await req.json());
    const request = { ...decoded.request, identity: req.identity };
    // The OIP `timeout` parameter bounds the wait as it bounds a stream item's (item-deadline.ts).
    const result = await withItemDeadline(
      { signal: req.signal, deadline: undefined },
      () => decoded.timeoutMs,
      null,
      (signal, deadline) => ctx.service.infer(request, signal, deadline, req.trace),
      'request',
    );
    return ok(encodeInferJson(result));
  }
  throw notRouted(req);
}
