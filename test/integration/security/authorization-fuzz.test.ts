/**
 * Fuzz-style: 10,000 random `authorization` values over gRPC (empty, huge within and beyond the usual 8 KiB
 * metadata size, `Bearer` variants, the valid key with junk before or after it, random printable text: what
 * grpc-js lets a client send, which is printable ASCII) and 2,000 over HTTP (where latin-1 bytes beyond ASCII
 * can go too) are all refused with UNAUTHENTICATED / 401, and the server keeps serving: a valid call succeeds
 * afterwards. Seeded, so a failure names a value that reproduces. Sent with bounded concurrency to 127.0.0.1.
 */
import * as grpc from '@grpc/grpc-js';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { makeRepository } from '../../helpers/model-repository';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { KEYS, RawStubs, bearer, failureOf, httpRequest, scaleInferJson, scalePredict, securityDir, tenantsYaml, withAuthorization } from './security-fixtures';
import { Prng } from '../../../tools/modelgen/prng';

jest.setTimeout(180_000);

const GRPC_VALUES = 10_000;
const HTTP_VALUES = 2_000;
const CONCURRENCY = 32;

let ts: TestServer;
let raw: RawStubs;

beforeAll(async () => {
  const dir = securityDir();
  const tenantsFile = path.join(dir, 'tenants.yaml');
  fs.writeFileSync(tenantsFile, tenantsYaml());
  ts = await startTestServer(await makeRepository([{ model: 'scale' }]), {
    http_port: 0,
    auth: { tenants_file: tenantsFile },
    audit: { file: path.join(dir, 'audit.jsonl') },
  });
  raw = new RawStubs(ts.address);
});

afterAll(async () => {
  raw.close();
  await ts.stop();
});

/** The project's seeded PRNG (tools/modelgen/prng.ts), uniform in [0, 1). */
function prng(seed: number): () => number {
  const source = new Prng(seed);
  return () => source.next();
}

function generator(seed: number, extraChars: string) {
  const rand = prng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('') + extraChars;
  // No space or tab: junk next to a valid key must not be whitespace a transport might trim.
  const visible = printable.replace(/[ \t]/g, '');
  const str = (chars: string, n: number) => Array.from({ length: n }, () => chars[int(chars.length)]).join('');
  const junk = () => str(visible, 1 + int(12));
  const valid = pick([KEYS.alpha, KEYS.beta, KEYS.ops]);
  const scheme = () => pick(['Bearer', 'bearer', 'BEARER', 'Bearer:', 'Bearer=', 'Basic', 'Token', 'Bear', 'Bearerr', '']);
  const kinds: (() => string)[] = [
    () => '',
    () => str(printable, int(64)),
    () => `Bearer ${str(printable, 1 + int(64))}`,
    () => `${scheme()}${pick([' ', '  ', '\t', ''])}${str(visible, int(48))}`,
    () => pick(['Bearer', 'Bearer ', 'Bearer  ', 'Bearer =', 'Bearer ==', ' ', '\t', 'Bearer\t']),
    () => `Bearer ${valid}${junk()}`,
    () => `Bearer ${junk()}${valid}`,
    () => `${junk()}Bearer ${valid}`,
    () => `Bearer  ${valid}`,
    () => `Bearer\t${valid}`,
    () => `Basic ${valid}`,
    () => valid,
    () => `Bearer ${valid.slice(0, int(valid.length))}`,
    () => `Bearer ${valid}, Bearer ${valid}`,
    () => `Bearer ${KEYS.alphaExpired}`,
    // Huge: within the usual 8 KiB metadata size, and beyond it.
    () => `Bearer ${str(visible, 4000 + int(4000))}`,
    () => `Bearer ${valid}${str(visible, 9000 + int(8000))}`,
  ];
  return () => {
    const k = int(kinds.length);
    // The huge kinds are rarer, to keep the run short.
    return k >= kinds.length - 2 && rand() > 0.1 ? kinds[int(kinds.length - 2)]() : kinds[k]();
  };
}

async function bounded<T>(items: readonly T[], limit: number, each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await each(items[next++]);
    }),
  );
}

/** What a client may put in gRPC metadata (grpc-js refuses the rest before sending). */
function sendable(value: string): boolean {
  try {
    withAuthorization(value);
    return true;
  } catch {
    return false;
  }
}

it(`refuses ${GRPC_VALUES} random authorization values over gRPC with UNAUTHENTICATED, and keeps serving`, async () => {
  const next = generator(20260501, '');
  const values: string[] = [];
  while (values.length < GRPC_VALUES) {
    const v = next();
    if (sendable(v)) values.push(v);
  }
  const wrong: string[] = [];
  await bounded(values, CONCURRENCY, async (v) => {
    try {
      await raw.call(raw.v1, 'Predict', scalePredict(), withAuthorization(v));
      wrong.push(`accepted: ${JSON.stringify(v.slice(0, 200))}`);
    } catch (err) {
      const f = failureOf(err);
      if (f.code !== grpc.status.UNAUTHENTICATED || f.errorCode !== 'AMAAS_ERR_UNAUTHENTICATED') {
        wrong.push(`${grpc.status[f.code]} ${f.details}: ${JSON.stringify(v.slice(0, 200))}`);
      }
    }
  });
  expect(wrong.slice(0, 10)).toEqual([]);
  expect(await raw.call(raw.v1, 'Predict', scalePredict(), bearer(KEYS.alpha))).toMatchObject({ model_name: 'scale' });
});

it(`refuses ${HTTP_VALUES} random authorization values over HTTP, latin-1 included, with 401, and keeps serving`, async () => {
  const latin1 = Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(0x80 + i)).join('');
  const next = generator(7, latin1);
  const values = Array.from({ length: HTTP_VALUES }, next);
  const port = ts.server.httpPort!;
  const wrong: string[] = [];
  await bounded(values, 16, async (v) => {
    let r;
    try {
      r = await httpRequest(port, 'POST', '/v2/models/scale/infer', { authorization: v }, scaleInferJson);
    } catch (err) {
      // Node's client refuses some header values itself (a control character); nothing was sent then.
      if ((err as NodeJS.ErrnoException).code === 'ERR_INVALID_CHAR') return;
      throw err;
    }
    // Beyond Node's header size limit the HTTP server answers 431 before any code of ours runs.
    if (r.status === 431 && v.length + 300 > http.maxHeaderSize) return;
    if (r.status !== 401 || r.headers['www-authenticate'] !== 'Bearer') wrong.push(`${r.status}: ${JSON.stringify(v.slice(0, 200))}`);
  });
  expect(wrong.slice(0, 10)).toEqual([]);
  const ok = await httpRequest(port, 'POST', '/v2/models/scale/infer', { authorization: `Bearer ${KEYS.alpha}` }, scaleInferJson);
  expect(ok.status).toBe(200);
});
