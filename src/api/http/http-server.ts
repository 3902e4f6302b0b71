/**
 * The Open Inference Protocol's HTTP/REST binding on its own port, with node:http: reads a bounded JSON body,
 * routes it (routes.ts), and writes JSON, errors as {"error": "..."} with the status from http-status-map.ts.
 * Integers beyond 2^53 are exact both ways (json-text.ts).
 * A request whose client goes away is cancelled like a cancelled gRPC call. Every answer carries the request's
 * id (`x-request-id`: the caller's when valid, else a new one); the infer route writes access-log lines.
 */
import http from 'node:http';
import { parseJson, stringifyJson } from '../../codec/json-text';
import { AmaasError } from '../../errors';
import { REQUEST_ID_KEY, acceptRequestId } from '../../observability';
import { createLogger } from '../../observability/logging';
import { createHttpTransport } from '../../security';
import type { Identity } from '../../security';
import { accessHttp, isRestInfer } from '../access';
import type { ApiContext } from '../context';
import { httpErrorOf } from '../http-status-map';
import { servedNote } from '../served-note';
import { HttpAnswer, route } from './routes';

const log = createLogger('http');

/** The infer route's template (http.route of its span). */
const inferRoute = (segments: readonly string[]): string =>
  segments[3] === 'versions' ? '/v2/models/{model}/versions/{version}/infer' : '/v2/models/{model}/infer';

export interface HttpBinding {
  readonly port: number;
  /** Stops accepting connections and resolves once the requests in progress have been answered. */
  close(): Promise<void>;
  /** Drops every connection, answered or not (after the drain timeout). */
  forceClose(): void;
}

function readJson(req: http.IncomingMessage, maxBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > maxBytes) {
        // Answered at once with 413; the rest of the body is discarded, and the connection closes after the
        // answer (send() closes every connection whose request was not read to its end).
        tooLarge = true;
        chunks = [];
        reject(new AmaasError('AMAAS_ERR_MESSAGE_TOO_LARGE', `the request body is larger than max_message_bytes (${maxBytes})`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (tooLarge) return;
      try {
        resolve(parseJson(Buffer.concat(chunks).toString('utf8')));
      } catch (err) {
        reject(new AmaasError('AMAAS_ERR_INVALID_REQUEST', `the request body is not valid JSON: ${(err as Error).message}`));
      }
    });
  });
}

/** One value of a header; '' (never a valid id) when it came more than once. */
const single = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? (v.length === 1 ? v[0] : '') : v);

function send(res: http.ServerResponse, answer: HttpAnswer, closeConnection: boolean, requestId: string): void {
  if (res.headersSent || res.destroyed) return;
  const body = stringifyJson(answer.body);
  res.writeHead(answer.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    [REQUEST_ID_KEY]: requestId,
    ...answer.headers,
    ...(closeConnection ? { connection: 'close' } : {}),
  });
  res.end(body);
}

export function startHttpBinding(ctx: ApiContext, host: string, port: number): Promise<HttpBinding> {
  // Clear text, or HTTPS with the tls.* files (reloaded when they change): src/security/tls-http.ts.
  const server = createHttpTransport(ctx.config.tls, (req, res) => {
    const started = ctx.accessLog.start();
    const requestId = acceptRequestId(single(req.headers[REQUEST_ID_KEY]));
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new AmaasError('AMAAS_ERR_CANCELLED', 'the client closed the connection'));
    });
    const url = new URL(req.url ?? '/', 'http://localhost');
    let segments: string[];
    try {
      segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      segments = [];
    }
    // The security gate decides before routing (security/index.ts); a refused request reads no body.
    const call = { method: req.method ?? 'GET', segments, headers: req.headers, socket: req.socket, requestId };
    const infer = isRestInfer(call.method, segments);
    // Tracing off (or another route): undefined, and nothing below does any tracing work.
    const span = infer ? ctx.tracing?.httpCall(req.headers, call.method, inferRoute(segments), requestId) : undefined;
    // access_log all: the infer route's line says whether the response cache answered (served-note.ts).
    const note = infer ? servedNote(ctx, span) : undefined;
    let identity: Identity | undefined;
    Promise.resolve()
      .then(() => ctx.security.authenticateHttp(call))
      .then((who) => {
        identity = who;
        return route(ctx, { method: call.method, segments, json: () => readJson(req, ctx.config.maxMessageBytes), signal: controller.signal, identity, trace: note ?? span });
      })
      .then(
        (answer) => {
          ctx.security.auditHttpOutcome(call, identity, '', segments[2]);
          if (infer) accessHttp(ctx, requestId, started, segments, answer.status, '', identity, note?.cacheHit);
          span?.endHttp(answer.status);
          return answer;
        },
        (err): HttpAnswer => {
          const e = httpErrorOf(err, requestId);
          ctx.security.auditHttpOutcome(call, identity, e.errorCode, segments[2]);
          if (infer) accessHttp(ctx, requestId, started, segments, e.status, e.errorCode, identity);
          span?.endHttp(e.status, e.errorCode);
          log.debug('request failed', { path: url.pathname, status: e.status, code: e.errorCode, request_id: requestId });
          return { status: e.status, body: e.body, headers: e.headers };
        },
      )
      .then((answer) => send(res, answer, ctx.drain.draining || !req.complete, requestId));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      resolve({
        port: bound,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Keep-alive connections with no request in progress would hold close() open.
            server.closeIdleConnections();
          }),
        forceClose: () => server.closeAllConnections(),
      });
    });
  });
}
