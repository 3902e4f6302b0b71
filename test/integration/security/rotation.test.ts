/**
 * Key rotation without a restart: a key added to the watched tenants file starts working, and a key removed
 * from it stops working, each within 5 s (the bound; waits end as soon as the change shows), while
 * calls with the key that stays keep succeeding throughout. A broken edit leaves the previous file in force.
 */
import * as grpc from '@grpc/grpc-js';
import fs from 'node:fs';
import path from 'node:path';
import { makeRepository } from '../../helpers/model-repository';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { KEYS, RawStubs, bearer, failureOf, replaceFile, scalePredict, securityDir, tenantsYaml } from './security-fixtures';

const ROTATION_BOUND_MS = 5000;

let ts: TestServer;
let raw: RawStubs;
let tenantsFile: string;

beforeAll(async () => {
  const dir = securityDir();
  tenantsFile = path.join(dir, 'tenants.yaml');
  fs.writeFileSync(tenantsFile, tenantsYaml({ alphaKeys: ['alpha'] }));
  ts = await startTestServer(await makeRepository([{ model: 'scale' }]), { auth: { tenants_file: tenantsFile }, audit: { file: path.join(dir, 'audit.jsonl') } });
  raw = new RawStubs(ts.address);
});

afterAll(async () => {
  raw.close();
  await ts.stop();
});

/** OK, or the status code the call failed with. */
async function predictWith(key: string): Promise<grpc.status> {
  try {
    await raw.call(raw.v1, 'Predict', scalePredict(), bearer(key));
    return grpc.status.OK;
  } catch (err) {
    return failureOf(err).code;
  }
}

/**
 * Calls with `key` until it answers `want`, at most ROTATION_BOUND_MS; meanwhile every call with `steady`
 * must succeed. Returns how many steady calls were made.
 */
async function untilKeyAnswers(key: string, want: grpc.status, steady: string): Promise<number> {
  const giveUp = Date.now() + ROTATION_BOUND_MS;
  let steadyCalls = 0;
  for (;;) {
    expect(await predictWith(steady)).toBe(grpc.status.OK);
    steadyCalls++;
    if ((await predictWith(key)) === want) return steadyCalls;
    if (Date.now() > giveUp) throw new Error(`the key did not answer ${grpc.status[want]} within ${ROTATION_BOUND_MS} ms of the file change`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

it('takes an added key and drops a removed one without a restart, the other key working throughout', async () => {
  expect(await predictWith(KEYS.alpha)).toBe(grpc.status.OK);
  expect(await predictWith(KEYS.alphaNext)).toBe(grpc.status.UNAUTHENTICATED);

  // Overlap: both keys listed.
  replaceFile(tenantsFile, tenantsYaml({ alphaKeys: ['alpha', 'alphaNext'] }));
  await untilKeyAnswers(KEYS.alphaNext, grpc.status.OK, KEYS.alpha);

  // The old key removed: it stops working; the new one never fails.
  replaceFile(tenantsFile, tenantsYaml({ alphaKeys: ['alphaNext'] }));
  expect(await untilKeyAnswers(KEYS.alpha, grpc.status.UNAUTHENTICATED, KEYS.alphaNext)).toBeGreaterThan(0);
});

it('keeps the previous file in force after a broken edit (never fails open or closed)', async () => {
  const before = ts.server.security.tenants!.failures;
  replaceFile(tenantsFile, 'tenants: [this is: not valid');
  const giveUp = Date.now() + ROTATION_BOUND_MS;
  while (ts.server.security.tenants!.failures === before) {
    if (Date.now() > giveUp) throw new Error('the broken edit was not noticed');
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(await predictWith(KEYS.alphaNext)).toBe(grpc.status.OK);
  expect(await predictWith(KEYS.alpha)).toBe(grpc.status.UNAUTHENTICATED);
  expect(await predictWith('anything')).toBe(grpc.status.UNAUTHENTICATED);
});
