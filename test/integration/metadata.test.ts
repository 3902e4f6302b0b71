/**
 * ListModels and GetModelMetadata: versions and their states (broken ones with the reason), the default
 * version, and each tensor's name, datatype and shape as the session reports it.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { makeRepository, writeCorruptModel, writeModelConfig } from '../helpers/model-repository';
import { TestServer, startTestServer } from '../helpers/test-server';

let ts: TestServer;
let repo: string;

beforeAll(async () => {
  repo = await makeRepository([
    // Both versions load only because the policy says so (the default policy loads the latest one).
    { model: 'scale', config: { version_policy: 'all' } },
    { model: 'scale_v2', name: 'scale', version: 2 },
    { model: 'mlp' },
    { model: 'int64_ops', name: 'half_broken' },
    { model: 'scale', name: 'on_cuda' },
    { model: 'scale', name: 'on_auto' },
    { model: 'scale', name: 'bad_config' },
  ]);
  writeCorruptModel(repo, 'half_broken', 2);
  writeModelConfig(repo, 'half_broken', { version_policy: 'all' });
  fs.mkdirSync(path.join(repo, 'half_broken', '3'));
  writeModelConfig(repo, 'on_cuda', { device: 'cuda' });
  writeModelConfig(repo, 'on_auto', { device: 'auto' });
  writeModelConfig(repo, 'bad_config', { instances: 0 });
  ts = await startTestServer(repo);
});

afterAll(() => ts.stop());

it('lists every model with versions, states, default version and tensors', async () => {
  const models = await ts.client.listModels();
  expect(models.map((m) => m.name)).toEqual(['bad_config', 'half_broken', 'mlp', 'on_auto', 'on_cuda', 'scale']);
  const scale = models.find((m) => m.name === 'scale')!;
  expect(scale.defaultVersion).toBe(2);
  expect(scale.describedVersion).toBe(2);
  expect(scale.versions).toEqual([
    { version: 1, state: 'READY', reason: '', executionProvider: 'cpu', notes: [] },
    { version: 2, state: 'READY', reason: '', executionProvider: 'cpu', notes: [] },
  ]);
  expect(scale.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1, 4] }]);
  expect(scale.outputs).toEqual([{ name: 'y', datatype: 'FP32', shape: [-1, 4] }]);
  expect(scale.platform).toBe('onnxruntime');
  const mlp = models.find((m) => m.name === 'mlp')!;
  expect(mlp.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1, 64] }]);
  expect(mlp.outputs).toEqual([{ name: 'logits', datatype: 'FP32', shape: [-1, 10] }]);
});

it('routes to the default (highest ready) version unless a version is named', async () => {
  const x = { x: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } };
  const latest = await ts.client.predict('scale', x);
  expect(latest.modelVersion).toBe(2);
  expect(Array.from(latest.outputs.y.data as Float32Array)).toEqual([4, 7, 10, 13]);
  const v1 = await ts.client.predict('scale', x, { version: 1 });
  expect(v1.modelVersion).toBe(1);
  expect(Array.from(v1.outputs.y.data as Float32Array)).toEqual([3, 5, 7, 9]);
});

it('a broken version is UNAVAILABLE with its reason while the other versions serve', async () => {
  const m = await ts.client.getModelMetadata('half_broken');
  expect(m.defaultVersion).toBe(1);
  expect(m.versions[0]).toMatchObject({ version: 1, state: 'READY' });
  expect(m.versions[1]).toMatchObject({ version: 2, state: 'UNAVAILABLE' });
  expect(m.versions[1].reason).toMatch(/^onnxruntime could not load model\.onnx: /);
  expect(m.versions[2]).toMatchObject({ version: 3, state: 'UNAVAILABLE' });
  expect(m.versions[2].reason).toBe('model.onnx is missing from version folder 3');
  const ok = await ts.client.predict('half_broken', { ids: { data: new BigInt64Array([1n, 2n]), dims: [1, 2] } });
  expect(Array.from(ok.outputs.doubled.data as BigInt64Array)).toEqual([2n, 4n]);
  await expect(
    ts.client.predict('half_broken', { ids: { data: new BigInt64Array([1n]), dims: [1, 1] } }, { version: 2 }),
  ).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE, errorCode: 'AMAAS_ERR_MODEL_UNAVAILABLE' });
});

it("device 'cuda' without the CUDA provider is UNAVAILABLE with a clear reason; 'auto' falls back to CPU", async () => {
  const cuda = await ts.client.getModelMetadata('on_cuda');
  expect(cuda.versions[0].state).toBe('UNAVAILABLE');
  expect(cuda.versions[0].reason).toMatch(/device 'cuda' was asked for.*ONNXRUNTIME_NODE_INSTALL=cuda12/);
  const auto = await ts.client.getModelMetadata('on_auto');
  expect(auto.versions[0]).toMatchObject({ state: 'READY', executionProvider: 'cpu' });
});

it('no version reason clients see names a server path', async () => {
  const reasons = (await ts.client.listModels()).flatMap((m) => m.versions.map((v) => v.reason)).filter(Boolean);
  // half_broken 2 (onnxruntime's words) and 3 (missing file), bad_config (its file); on_cuda too where CUDA is missing.
  expect(reasons.length).toBeGreaterThanOrEqual(3);
  for (const reason of reasons) expect(reason).not.toContain(repo);
});

it('an invalid model config makes that model UNAVAILABLE, naming the key', async () => {
  const m = await ts.client.getModelMetadata('bad_config');
  expect(m.versions[0].state).toBe('UNAVAILABLE');
  expect(m.versions[0].reason).toMatch(/instances/);
});

it('describes a named version, and refuses unknown models and versions with NOT_FOUND', async () => {
  const v1 = await ts.client.getModelMetadata('scale', 1);
  expect(v1.describedVersion).toBe(1);
  await expect(ts.client.getModelMetadata('scale', 9)).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  await expect(ts.client.getModelMetadata('nope')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
});
