/**
 * Model lifecycle through amaas.v1.ModelRepositoryService: version_policy, states and reasons (corrupt file,
 * checksum mismatch, failed warm-up), LoadModel/UnloadModel of one version, SetDefaultVersion, Rollback, and
 * explicit model control. Each broken version is UNAVAILABLE with its reason while the rest keep serving.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { makeRepository, modelPath, writeCorruptModel, writeModelConfig } from '../helpers/model-repository';
import { TestServer, startTestServer } from '../helpers/test-server';

let ts: TestServer;
let repo: string;

const x = { x: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } };
const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const yOf = async (version = 0, model = 'scale') => {
  const r = await ts.client.predict(model, x, { version });
  return { version: r.modelVersion, y: Array.from(r.outputs.y.data as Float32Array) };
};
const V1 = [3, 5, 7, 9]; // y = 2x + 1
const V2 = [4, 7, 10, 13]; // y = 3x + 1

beforeAll(async () => {
  repo = await makeRepository([
    { model: 'scale' },
    { model: 'scale_v2', name: 'scale', version: 2 },
    { model: 'scale', name: 'checked', config: {} },
    { model: 'scale_v2', name: 'checked', version: 2 },
    { model: 'scale', name: 'corrupt', config: { version_policy: 'all' } },
    { model: 'scale', name: 'warm_fail', config: { version_policy: 'all' } },
    { model: 'runtime_failure', name: 'warm_fail', version: 2 },
    { model: 'scale', name: 'sampled', config: { warmup: { generated: false, runs: 2 } } },
    { model: 'scale', name: 'bad_sample' },
  ]);
  writeCorruptModel(repo, 'corrupt', 2);
  writeModelConfig(repo, 'checked', {
    version_policy: 'all',
    sha256: { '1': sha256(modelPath(repo, 'checked', 1)), '2': 'ab'.repeat(32) },
  });
  // A generated warm-up that fails does not fail the load; a sample that fails does (warm_fail/2).
  for (const [model, version, sample] of [
    ['sampled', 1, { x: [[1, 2, 3, 4]] }],
    ['bad_sample', 1, { x: [[1, 2, 3]] }],
    ['warm_fail', 2, { x: [[1, 2, 3, 4]] }],
  ] as const) {
    fs.mkdirSync(path.join(repo, model, String(version), 'warmup'));
    fs.writeFileSync(path.join(repo, model, String(version), 'warmup', 'sample.json'), JSON.stringify(sample));
  }
  ts = await startTestServer(repo);
});

afterAll(() => ts.stop());

it('loads what version_policy selects (latest 1 by default) and lists the rest with the reason', async () => {
  const scale = await ts.client.getModelMetadata('scale');
  expect(scale.defaultVersion).toBe(2);
  expect(scale.versions).toEqual([
    { version: 1, state: 'UNAVAILABLE', reason: 'not selected by version_policy', executionProvider: '', notes: [] },
    { version: 2, state: 'READY', reason: '', executionProvider: 'cpu', notes: [] },
  ]);
  expect(await yOf()).toEqual({ version: 2, y: V2 });
  await expect(yOf(1)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE, details: expect.stringMatching(/not selected by version_policy/) });
});

it('a checksum mismatch, a corrupt file and a failed warm-up each leave only that version UNAVAILABLE, with the reason', async () => {
  const checked = await ts.client.getModelMetadata('checked');
  expect(checked.versions[0]).toMatchObject({ version: 1, state: 'READY' });
  expect(checked.versions[1]).toMatchObject({ version: 2, state: 'UNAVAILABLE' });
  // Reasons are client-facing: they name the file, never the server's path to it.
  expect(checked.versions[1].reason).toMatch(/^checksum mismatch: the sha256 of model\.onnx is [0-9a-f]{64}, the config expects (ab){32}$/);
  expect(await yOf(0, 'checked')).toEqual({ version: 1, y: V1 });

  const corrupt = await ts.client.getModelMetadata('corrupt');
  expect(corrupt.versions[1]).toMatchObject({ version: 2, state: 'UNAVAILABLE' });
  expect(corrupt.versions[1].reason).toMatch(/^onnxruntime could not load model\.onnx: /);
  expect(corrupt.versions[1].reason).not.toContain(repo);
  expect(await yOf(0, 'corrupt')).toEqual({ version: 1, y: V1 });

  const warm = await ts.client.getModelMetadata('warm_fail');
  expect(warm.defaultVersion).toBe(1);
  expect(warm.versions[1]).toMatchObject({ version: 2, state: 'UNAVAILABLE' });
  expect(warm.versions[1].reason).toMatch(/^warm-up failed: sample\.json request: .*Reshape/i);
  expect(await yOf(0, 'warm_fail')).toEqual({ version: 1, y: V1 });
  // Other models were never affected.
  expect(await yOf()).toEqual({ version: 2, y: V2 });
});

it('runs sample warm-up requests from <version>/warmup/*.json; a sample that does not fit fails the warm-up', async () => {
  expect((await ts.client.getModelMetadata('sampled')).versions[0].state).toBe('READY');
  expect(await yOf(0, 'sampled')).toEqual({ version: 1, y: V1 });
  const bad = await ts.client.getModelMetadata('bad_sample');
  expect(bad.versions[0].state).toBe('UNAVAILABLE');
  expect(bad.versions[0].reason).toMatch(/^warm-up failed: sample\.json request: /);
});

it('LoadModel with a checksum mismatch fails with AMAAS_ERR_CHECKSUM_MISMATCH and leaves the serving version alone', async () => {
  await expect(ts.client.loadModel('checked', 2)).rejects.toMatchObject({
    code: grpc.status.FAILED_PRECONDITION,
    errorCode: 'AMAAS_ERR_CHECKSUM_MISMATCH',
  });
  expect(await yOf(0, 'checked')).toEqual({ version: 1, y: V1 });
});

it('LoadModel of one version, SetDefaultVersion, Rollback and UnloadModel of one version', async () => {
  const loaded = await ts.client.loadModel('scale', 1);
  expect(loaded.versions.map((v) => v.state)).toEqual(['READY', 'READY']);
  expect(loaded.defaultVersion).toBe(2);

  const pinned = await ts.client.setDefaultVersion('scale', 1);
  expect(pinned.defaultVersion).toBe(1);
  expect(await yOf()).toEqual({ version: 1, y: V1 });

  // Rollback goes back to the default before the last switch, and again undoes the rollback.
  expect((await ts.client.rollback('scale')).defaultVersion).toBe(2);
  expect(await yOf()).toEqual({ version: 2, y: V2 });
  expect((await ts.client.rollback('scale')).defaultVersion).toBe(1);
  expect(await yOf()).toEqual({ version: 1, y: V1 });

  // Unloading the pinned default moves the default to the highest READY version.
  const unloaded = await ts.client.unloadModel('scale', 1);
  expect(unloaded.defaultVersion).toBe(2);
  expect(unloaded.versions[0]).toMatchObject({ version: 1, state: 'UNAVAILABLE', reason: 'unloaded by request' });
  expect(await yOf()).toEqual({ version: 2, y: V2 });
  // Version 1 is gone, so there is nothing to roll back to.
  await expect(ts.client.rollback('scale')).rejects.toMatchObject({ code: grpc.status.FAILED_PRECONDITION, errorCode: 'AMAAS_ERR_NO_PREVIOUS_VERSION' });
});

it('model-control calls refuse what cannot be done, with catalogue codes', async () => {
  await expect(ts.client.setDefaultVersion('scale', 1)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE, errorCode: 'AMAAS_ERR_MODEL_UNAVAILABLE' });
  await expect(ts.client.setDefaultVersion('scale', 9)).rejects.toMatchObject({ code: grpc.status.NOT_FOUND, errorCode: 'AMAAS_ERR_VERSION_NOT_FOUND' });
  await expect(ts.client.loadModel('scale', 9)).rejects.toMatchObject({ code: grpc.status.NOT_FOUND, errorCode: 'AMAAS_ERR_VERSION_NOT_FOUND' });
  await expect(ts.client.loadModel('nope')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND, errorCode: 'AMAAS_ERR_MODEL_NOT_FOUND' });
  await expect(ts.client.unloadModel('nope')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  await expect(ts.client.loadModel('')).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
});

it('UnloadModel then LoadModel of a whole model brings back what the policy selects; the sessions are released', async () => {
  const pool = ts.server.registry.get('scale')!.versions.get(2)!.sessionPool!;
  await ts.client.unloadModel('scale');
  expect(pool.threadCount).toBe(0);
  await expect(yOf()).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  const back = await ts.client.loadModel('scale');
  expect(back.defaultVersion).toBe(2);
  expect(back.versions.map((v) => [v.version, v.state])).toEqual([
    [1, 'UNAVAILABLE'],
    [2, 'READY'],
  ]);
  expect(await yOf()).toEqual({ version: 2, y: V2 });
});

describe('model_control_mode explicit', () => {
  let explicit: TestServer;
  beforeAll(async () => {
    explicit = await startTestServer(await makeRepository([{ model: 'scale' }, { model: 'mlp' }]), {
      model_control_mode: 'explicit',
      load_model: ['scale'],
    });
  });
  afterAll(() => explicit.stop());

  it('loads only the named models at start; the others are listed and load through the API', async () => {
    const models = await explicit.client.listModels();
    expect(models.find((m) => m.name === 'scale')!.versions[0].state).toBe('READY');
    const mlp = models.find((m) => m.name === 'mlp')!;
    expect(mlp.versions[0]).toMatchObject({ state: 'UNAVAILABLE', reason: expect.stringMatching(/^not loaded/) });
    const loaded = await explicit.client.loadModel('mlp');
    expect(loaded.versions[0].state).toBe('READY');
    const r = await explicit.client.predict('mlp', { x: { data: new Float32Array(64), dims: [1, 64] } });
    expect(r.outputs.logits.dims).toEqual([1, 10]);
  });
});
