/**
 * Zero-downtime release under load: 50 closed-loop clients keep calling the default version of `scale` while
 * version 2 is published into the repository (poll mode), rolled back, unloaded, and while a config change
 * reloads the model. Not one request may fail, and every answer must match the version that says it answered.
 * How soon a published version serves (one poll interval plus its load) is printed, not asserted: it depends on
 * this machine's load. The waits are bounded only to catch a hang.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildModel } from '../../tools/modelgen/catalog';
import { makeRepository, writeModelConfig } from '../helpers/model-repository';
import { TestServer, startTestServer } from '../helpers/test-server';
import { until } from '../helpers/until';

const CLIENTS = 50;
const POLL_SECS = 1;
/** Catches a hang only: every wait below is for something that happens within a few poll intervals. */
const HANG_MS = 30_000;

const EXPECTED: Record<number, number[]> = { 1: [3, 5, 7, 9], 2: [4, 7, 10, 13] };

interface Answer {
  readonly sentAt: number;
  readonly doneAt: number;
  readonly version: number;
}

let ts: TestServer;
let repo: string;

beforeAll(async () => {
  repo = await makeRepository([{ model: 'scale', config: { version_policy: { latest: 2 } } }]);
  ts = await startTestServer(repo, { model_control_mode: 'poll', repository_poll_secs: POLL_SECS });
});

afterAll(() => ts.stop());

it('publishes, rolls back, unloads and reloads under load with zero failed requests', async () => {
  const answers: Answer[] = [];
  const failures: string[] = [];
  let running = true;
  const client = async () => {
    while (running) {
      const sentAt = Date.now();
      try {
        const r = await ts.client.predict('scale', { x: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } });
        const y = Array.from(r.outputs.y.data as Float32Array);
        if (JSON.stringify(y) !== JSON.stringify(EXPECTED[r.modelVersion])) failures.push(`version ${r.modelVersion} answered ${y}`);
        answers.push({ sentAt, doneAt: Date.now(), version: r.modelVersion });
      } catch (err) {
        failures.push(`${(err as { errorCode?: string }).errorCode}: ${(err as Error).message}`);
      }
    }
  };
  const load = Promise.all(Array.from({ length: CLIENTS }, client));
  const answeredSince = (t: number) => answers.filter((a) => a.sentAt >= t);
  try {
    await until(() => answers.length >= 200, 'steady load on version 1', HANG_MS, 20);
    expect(new Set(answers.map((a) => a.version))).toEqual(new Set([1]));

    // Publish: the file is written beside the repository and renamed in, so a scan never sees half of it.
    const published = Date.now();
    const staging = path.join(repo, '.staging-model.onnx');
    fs.writeFileSync(staging, buildModel('scale_v2').bytes);
    fs.mkdirSync(path.join(repo, 'scale', '2'));
    fs.renameSync(staging, path.join(repo, 'scale', '2', 'model.onnx'));
    await until(() => answers.some((a) => a.version === 2), 'the first answer from version 2', HANG_MS, 20);
    const switchMs = answers.find((a) => a.version === 2)!.doneAt - published;
    process.stdout.write(`zero-downtime: version 2 served ${switchMs} ms after publishing (poll interval ${POLL_SECS * 1000} ms)\n`);
    const afterPublish = Date.now();
    await until(() => answeredSince(afterPublish).length >= 200, 'load on version 2', HANG_MS, 20);
    expect(new Set(answeredSince(afterPublish).map((a) => a.version))).toEqual(new Set([2]));

    // Rollback: every request sent after it returns is answered by version 1.
    const rolledBack = await ts.client.rollback('scale');
    expect(rolledBack.defaultVersion).toBe(1);
    const afterRollback = Date.now();
    await until(() => answeredSince(afterRollback).length >= 200, 'load after the rollback', HANG_MS, 20);
    expect(new Set(answeredSince(afterRollback).map((a) => a.version))).toEqual(new Set([1]));

    // Unload version 2 (no longer the default): it drains; the poll does not bring it back (its files are unchanged).
    const unloaded = await ts.client.unloadModel('scale', 2);
    expect(unloaded.versions[1]).toMatchObject({ version: 2, state: 'UNAVAILABLE', reason: 'unloaded by request' });
    const afterUnload = Date.now();
    await until(() => answeredSince(afterUnload).length >= 200 && Date.now() - afterUnload > POLL_SECS * 1500, 'load after the unload', HANG_MS, 20);
    expect((await ts.client.getModelMetadata('scale')).versions[1].state).toBe('UNAVAILABLE');

    // A config change reloads the model beside itself: version 1 with two instances, version 2 left out.
    const before = ts.server.registry.get('scale')!.versions.get(1)!;
    writeModelConfig(repo, 'scale', { version_policy: { specific: [1] }, instances: 2 });
    await until(() => ts.server.registry.get('scale')!.versions.get(1) !== before, 'the reload after the config change', HANG_MS, 20);
    await until(() => before.state === 'UNAVAILABLE', 'the replaced instance to drain', HANG_MS, 20);
    expect(ts.server.registry.get('scale')!.versions.get(1)!.sessionPool!.instances).toBe(2);
    const afterReload = Date.now();
    await until(() => answeredSince(afterReload).length >= 200, 'load after the reload', HANG_MS, 20);
  } finally {
    running = false;
    await load;
  }
  process.stdout.write(`zero-downtime: ${answers.length} requests answered, ${failures.length} failed\n`);
  expect(failures).toEqual([]);
}, 240_000);
