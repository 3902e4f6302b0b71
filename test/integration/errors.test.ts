/**
 * Every class of bad request gets its precise gRPC status, its catalogue code and a message that names the
 * problem; and after each one the server answers the next good request normally.
 */
import * as grpc from '@grpc/grpc-js';
import { makeRepository, writeCorruptModel } from '../helpers/model-repository';
import { TestServer, startTestServer } from '../helpers/test-server';
import { WireStub, rawFp32, typedFp32 } from '../helpers/wire-stub';
import { RepositoryEntry } from '../../tools/modelgen/repository-writer';

// runtime_failure fails every run, so its warm-up is off: here it must load and fail at request time.
const MODELS: RepositoryEntry[] = ['scale', 'multi_io', 'int64_ops', 'fixed_shape', 'runtime_failure', 'identity_int8'].map((model) =>
  model === 'runtime_failure' ? { model, config: { warmup: { generated: false } } } : { model },
);
const LIMIT = 64 * 1024;

let ts: TestServer;
let stub: WireStub;

beforeAll(async () => {
  const repo = await makeRepository(MODELS);
  writeCorruptModel(repo, 'broken');
  ts = await startTestServer(repo, { max_message_bytes: LIMIT });
  stub = new WireStub(ts.address);
});

afterAll(async () => {
  stub.close();
  await ts.stop();
});

const good = { model_name: 'scale', inputs: [rawFp32('x', [1, 4], [1, 2, 3, 4])] };

afterEach(async () => {
  // The server keeps serving after every failure.
  const r = await stub.predict(good as never);
  expect(r.outputs[0].raw_contents && Array.from(new Float32Array(new Uint8Array(r.outputs[0].raw_contents).buffer))).toEqual([3, 5, 7, 9]);
});

type Case = [string, object, grpc.status, string, RegExp];

const cases: Case[] = [
  ['unknown model', { ...good, model_name: 'nope' }, grpc.status.NOT_FOUND, 'AMAAS_ERR_MODEL_NOT_FOUND', /model 'nope' is not in the repository/],
  ['unknown version', { ...good, model_version: 7 }, grpc.status.NOT_FOUND, 'AMAAS_ERR_VERSION_NOT_FOUND', /no version 7 \(versions: 1\)/],
  ['missing model name', { ...good, model_name: '' }, grpc.status.INVALID_ARGUMENT, 'AMAAS_ERR_INVALID_REQUEST', /model_name is required/],
  [
    'missing input',
    { model_name: 'multi_io', inputs: [rawFp32('a', [1, 3], [1, 2, 3])] },
    grpc.status.INVALID_ARGUMENT,
    'AMAAS_ERR_INPUT_MISSING',
    /needs input\(s\) 'b'/,
  ],
  [
    'unknown input',
    { model_name: 'scale', inputs: [rawFp32('x', [1, 4], [1, 2, 3, 4]), rawFp32('z', [1, 4], [1, 2, 3, 4])] },
    grpc.status.INVALID_ARGUMENT,
    'AMAAS_ERR_INPUT_UNKNOWN',
    /has no input 'z' \(inputs: x\)/,
  ],
  [
    'duplicate input',
    { model_name: 'scale', inputs: [rawFp32('x', [1, 4], [1, 2, 3, 4]), rawFp32('x', [1, 4], [1, 2, 3, 4])] },
    grpc.status.INVALID_ARGUMENT,
    'AMAAS_ERR_INPUT_DUPLICATE',
    /input 'x' of model 'scale' is given more than once/,
  ],
  [
    'wrong datatype',
    { model_name: 'scale', inputs: [{ name: 'x', datatype: 'DATA_TYPE_FP64', shape: [1, 4], raw_contents: Buffer.alloc(32) }] },
    grpc.status.INVALID_ARGUMENT,
    'AMAAS_ERR_DATATYPE_MISMATCH',
    /is FP32, got FP64/,
  ],
  [
    'unspecified datatype',
    { model_name: 'scale', inputs: [{ name: 'x', shape: [1, 4], raw_contents: Buffer.alloc(16) }] },
    grpc.status.INVALID_ARGUMENT,
    'AMAAS_ERR_INVALID_REQUEST',
    /DATA_TYPE_UNSPECIFIED is not supported/,
  ],
  ['wrong rank', { model_name: 'scale', inputs: [rawFp32('x', [4], [1, 2, 3, 4])] }, grpc.status.INVALID_ARGUMENT, 'AMAAS_ERR_SHAPE_MISMATCH', /has shape \[-1,4\].*got \[4\]/],
  [
    'wrong fixed dimension',
    { model_name: 'fixed_shape', inputs: [rawFp32('x', [3, 2], [1, 2, 3, 4, 5, 6])] },
    grpc.status.INVALID_ARGUMENT,
    'AMAAS_ERR_SHAPE_MISMATCH',
    /has shape \[2,3\].*got \[3,2\]/,
  ],
  [
    'negative dimension',
    { model_name: 'scale', inputs: [{ name: 'x', datatype: 'DATA_TYPE_FP32', shape: [-1, 4], raw_contents: Buffer.alloc(16) }] },
    grpc.status.INVALID_ARGUMENT,
    'AMAAS_ERR_INVALID_REQUEST',
    /dimension 0 is -1/,
  ],
  [
    'raw byte length not product(shape) x item size',
    { model_name: 'scale', inputs: [{ name: 'x', datatype: 'DATA_TYPE_FP32', shape: [2, 4], raw_contents: Buffer.alloc(30) }] },
    grpc.status.INVALID_ARGUMENT,
    'AMAAS_ERR_CONTENT_SIZE_MISMATCH',
    /30 bytes, but shape \[2,4\] of FP32 needs 32/,
  ],
  [
    'typed element count not product(shape)',
    { model_name: 'scale', inputs: [typedFp32('x', [2, 4], [1, 2, 3])] },
    grpc.status.INVALID_ARGUMENT,
    'AMAAS_ERR_CONTENT_SIZE_MISMATCH',
    /fp32_contents has 3 elements, but shape \[2,4\] needs 8/,
  ],
  [
    'typed field that does not carry the datatype',
    { model_name: 'scale', inputs: [{ name: 'x', datatype: 'DATA_TYPE_FP32', shape: [1, 4], typed_contents: { int_contents: [1, 2, 3, 4] } }] },
    grpc.status.INVALID_ARGUMENT,
    'AMAAS_ERR_DATATYPE_MISMATCH',
    /FP32 is carried in fp32_contents, but int_contents was set/,
  ],
  [
    'typed value out of range (no silent truncation)',
    { model_name: 'identity_int8', inputs: [{ name: 'x', datatype: 'DATA_TYPE_INT8', shape: [1, 2], typed_contents: { int_contents: [1, 300] } }] },
    grpc.status.INVALID_ARGUMENT,
    'AMAAS_ERR_INVALID_REQUEST',
    /element 1 \(300\) is out of range for INT8/,
  ],
  [
    'no contents for a non-empty tensor',
    { model_name: 'scale', inputs: [{ name: 'x', datatype: 'DATA_TYPE_FP32', shape: [1, 4] }] },
    grpc.status.INVALID_ARGUMENT,
    'AMAAS_ERR_CONTENT_SIZE_MISMATCH',
    /no contents given/,
  ],
  ['unknown requested output', { ...good, output_names: ['nope'] }, grpc.status.INVALID_ARGUMENT, 'AMAAS_ERR_OUTPUT_UNKNOWN', /has no output 'nope' \(outputs: y\)/],
  [
    'model whose only version is not an ONNX model',
    { ...good, model_name: 'broken' },
    grpc.status.UNAVAILABLE,
    'AMAAS_ERR_MODEL_UNAVAILABLE',
    /model 'broken' has no ready version \(version 1: onnxruntime could not load/,
  ],
  [
    'onnxruntime failure at run time',
    { model_name: 'runtime_failure', inputs: [rawFp32('x', [1, 4], [1, 2, 3, 4])] },
    grpc.status.INTERNAL,
    'AMAAS_ERR_RUNTIME_FAILURE',
    /onnxruntime failed to run the model: .*Reshape/,
  ],
];

it.each(cases)('%s', async (_name, request, status, errorCode, message) => {
  const failure = await stub.predictFailure(request as never);
  expect(failure.code).toBe(status);
  expect(failure.errorCode).toBe(errorCode);
  expect(failure.details).toMatch(message);
});

it('a message over the size limit is refused with RESOURCE_EXHAUSTED', async () => {
  const rows = LIMIT / 16 + 16; // each row of 4 floats is 16 bytes
  const failure = await stub.predictFailure({ model_name: 'scale', inputs: [rawFp32('x', [rows, 4], new Array(rows * 4).fill(1))] } as never);
  expect(failure.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
});

it('a response over the size limit is refused with RESOURCE_EXHAUSTED before it is sent', async () => {
  // Typed INT64 zeros pack to one byte each on the wire, while the outputs (INT64 + FP32) take 12 bytes per element.
  const n = 6000;
  const failure = await stub.predictFailure({
    model_name: 'int64_ops',
    inputs: [{ name: 'ids', datatype: 'DATA_TYPE_INT64', shape: [1, n], typed_contents: { int64_contents: new Array(n).fill(0) } }],
    output_encoding: 'TENSOR_ENCODING_RAW',
  } as never);
  expect(failure.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  expect(failure.errorCode).toBe('AMAAS_ERR_MESSAGE_TOO_LARGE');
  expect(failure.details).toMatch(/outputs hold 72000 bytes, more than the server's max_message_bytes/);
});

it('a deadline that passes while the request waits is DEADLINE_EXCEEDED', async () => {
  await expect(stub.predict(good as never, { deadline: Date.now() - 1 })).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
});
