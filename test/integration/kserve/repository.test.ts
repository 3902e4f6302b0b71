/**
 * Triton's repository, configuration and statistics extensions through the independent client: ModelConfig,
 * RepositoryIndex, RepositoryModelUnload/Load (the model stops and starts serving), and ModelStatistics counts.
 */
import * as grpc from '@grpc/grpc-js';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { OipClient } from './oip-client';
import { fp32Bytes, makeOipRepository } from './oip-fixtures';

let ts: TestServer;
let client: OipClient;

beforeAll(async () => {
  ts = await startTestServer(await makeOipRepository(false, [{ model: 'scale' }, { model: 'string_echo' }]));
  client = new OipClient(ts.address);
});

afterAll(async () => {
  client.close();
  await ts.stop();
});

const infer = (id: string, values = [1, 2, 3, 4]) =>
  client.call('ModelInfer', { model_name: 'scale', id, inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4] }], raw_input_contents: [fp32Bytes(values)] });

it('ModelConfig describes the model in Triton terms', async () => {
  const { config } = await client.call('ModelConfig', { name: 'string_echo' });
  expect(config).toMatchObject({
    name: 'string_echo',
    platform: 'onnxruntime_onnx',
    backend: 'onnxruntime',
    input: [{ name: 'text', data_type: 'TYPE_STRING' }],
    output: [{ name: 'text_out', data_type: 'TYPE_STRING' }],
  });
  expect((await client.failure('ModelConfig', { name: 'nope' })).code).toBe(grpc.status.NOT_FOUND);
});

it('ModelStatistics counts successes, failures and their queue and compute time', async () => {
  for (let i = 0; i < 3; i++) await infer(`s${i}`);
  await client.failure('ModelInfer', { model_name: 'scale', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3] }], raw_input_contents: [fp32Bytes([1, 2, 3])] });
  const { model_stats } = await client.call('ModelStatistics', { name: 'scale' });
  expect(model_stats).toHaveLength(1);
  const s = model_stats[0];
  expect(s).toMatchObject({ name: 'scale', version: '1', inference_count: '3', execution_count: '3' });
  expect(s.inference_stats.success.count).toBe('3');
  expect(s.inference_stats.fail.count).toBe('1');
  expect(s.inference_stats.queue.count).toBe('3');
  expect(s.inference_stats.compute_infer.count).toBe('3');
  expect(BigInt(s.inference_stats.success.ns)).toBeGreaterThan(0n);
  expect(BigInt(s.inference_stats.compute_infer.ns)).toBeLessThanOrEqual(BigInt(s.inference_stats.success.ns));
  expect(Number(s.last_inference)).toBeGreaterThan(Date.now() - 60_000);
  const all = await client.call('ModelStatistics', {});
  expect(all.model_stats.map((m: { name: string }) => m.name).sort()).toEqual(['scale', 'string_echo']);
  expect((await client.failure('ModelStatistics', { name: 'nope' })).code).toBe(grpc.status.NOT_FOUND);
});

it('RepositoryModelUnload takes a model down; RepositoryModelLoad brings it back', async () => {
  expect((await client.call('RepositoryIndex', {})).models).toEqual([
    { name: 'scale', version: '1', state: 'READY', reason: '' },
    { name: 'string_echo', version: '1', state: 'READY', reason: '' },
  ]);
  await client.call('RepositoryModelUnload', { model_name: 'scale' });
  expect(await client.call('ModelReady', { name: 'scale' })).toEqual({ ready: false });
  expect((await client.failure('ModelInfer', { model_name: 'scale', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4] }], raw_input_contents: [fp32Bytes([1, 2, 3, 4])] })).code).toBe(
    grpc.status.UNAVAILABLE,
  );
  const index = await client.call('RepositoryIndex', { ready: false });
  expect(index.models[0]).toMatchObject({ name: 'scale', state: 'UNAVAILABLE', reason: 'unloaded by request' });
  expect((await client.call('RepositoryIndex', { ready: true })).models.map((m: { name: string }) => m.name)).toEqual(['string_echo']);

  await client.call('RepositoryModelLoad', { model_name: 'scale' });
  expect(await client.call('ModelReady', { name: 'scale' })).toEqual({ ready: true });
  expect((await infer('after-load')).id).toBe('after-load');

  expect((await client.failure('RepositoryModelLoad', { model_name: 'not_there' })).code).toBe(grpc.status.NOT_FOUND);
  expect((await client.failure('RepositoryModelUnload', { model_name: 'not_there' })).code).toBe(grpc.status.NOT_FOUND);
});
