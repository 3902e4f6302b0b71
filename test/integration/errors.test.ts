/**
 * Every class of bad request gets its precise gRPC status, its catalogue code and a message that names the
 * problem; and after each one the server answers the next good request normally. Messages stay short however
 * long the names a client sends (amaas.v1, the Open Inference Protocol over gRPC and REST), and no message a
 * client sees names a path on the server.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { AmaasCallError } from '../../src/client/amaas-client';
import { makeRepository, writeCorruptModel, writeModelConfig } from '../helpers/model-repository';
import { TestServer, startTestServer } from '../helpers/test-server';
import { WireStub, rawFp32, typedFp32 } from '../helpers/wire-stub';
import { OipClient } from './kserve/oip-client';
import { RepositoryEntry } from '../../tools/modelgen/repository-writer';

// runtime_failure fails every run, so its warm-up is off: here it must load and fail at request time.
const MODELS: RepositoryEntry[] = ['scale', 'multi_io', 'int64_ops', 'fixed_shape', 'runtime_failure', 'identity_int8'].map((model) =>
  model === 'runtime_failure' ? { model, config: { warmup: { generated: false } } } : { model },
);
const LIMIT = 64 * 1024;

let ts: TestServer;
let stub: WireStub;
let repo: string;
/** Every message a client saw in this file, with the repository of the server that sent it. */
const seen: { message: string; repository: string }[] = [];

beforeAll(async () => {
  repo = await makeRepository(MODELS);
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
  seen.push({ message: failure.details, repository: repo });
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

describe('long names and server paths', () => {
  const LONG = 64 * 1024;
  const longName = (c: string) => c.repeat(LONG);
  const CUT = `(cut at 128 of ${LONG} characters)`;
  const x = { x: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } };
  const oipX = { name: 'x', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } };
  let repo2: string;
  let ts2: TestServer;
  let oip: OipClient;
  let http: string;

  /** A message a client saw: recorded for the path check, and short whatever the request sent. */
  const short = (message: string): string => {
    seen.push({ message, repository: repo2 });
    expect(message.length).toBeLessThan(1024);
    return message;
  };
  const sdkFailure = async (call: Promise<unknown>) => {
    const err = (await call.then(
      () => {
        throw new Error('the call succeeded, but it was expected to fail');
      },
      (e: unknown) => e,
    )) as AmaasCallError;
    return { code: err.code, errorCode: err.errorCode, details: short(err.details) };
  };
  const rest = async (method: string, urlPath: string, body?: unknown) => {
    const init = body === undefined ? { method } : { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
    const res = await fetch(http + urlPath, init);
    const json = (await res.json()) as { error: string };
    return { status: res.status, error: short(json.error) };
  };

  beforeAll(async () => {
    // Default message limits (a 64 KiB name fits in a request), the REST binding, and versions broken in every way
    // whose reason could name a file: a corrupt model, a missing model.onnx, an invalid config, a checksum mismatch.
    repo2 = await makeRepository([{ model: 'scale' }, { model: 'scale', name: 'checked' }, { model: 'scale', name: 'bad_config' }]);
    writeCorruptModel(repo2, 'broken');
    fs.mkdirSync(path.join(repo2, 'no_file', '1'), { recursive: true });
    writeModelConfig(repo2, 'bad_config', { instances: 0 });
    writeModelConfig(repo2, 'checked', { sha256: { '1': 'ab'.repeat(32) } });
    ts2 = await startTestServer(repo2, { http_port: 0 });
    oip = new OipClient(ts2.address);
    http = `http://127.0.0.1:${ts2.server.httpPort}`;
  });

  afterAll(async () => {
    oip.close();
    await ts2.stop();
  });

  it('amaas.v1 Predict (SDK) with a 64 KiB model name: NOT_FOUND, the name cut at 128 characters', async () => {
    const f = await sdkFailure(ts2.client.predict(longName('m'), x));
    expect(f).toMatchObject({ code: grpc.status.NOT_FOUND, errorCode: 'AMAAS_ERR_MODEL_NOT_FOUND' });
    expect(f.details).toBe(`model '${'m'.repeat(128)}…' ${CUT} is not in the repository (models: bad_config, broken, checked, no_file, scale)`);
  });

  it('amaas.v1 Predict (SDK) with a 64 KiB input name: INVALID_ARGUMENT, the name cut', async () => {
    const f = await sdkFailure(ts2.client.predict('scale', { [longName('i')]: x.x }));
    expect(f).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, errorCode: 'AMAAS_ERR_INPUT_UNKNOWN' });
    expect(f.details).toBe(`model 'scale' has no input '${'i'.repeat(128)}…' ${CUT} (inputs: x)`);
  });

  it('amaas.v1 BatchPredict (SDK): an item with a 64 KiB model name gets a short NOT_FOUND status', async () => {
    const results = [];
    for await (const r of ts2.client.batchPredict([{ id: 'long', model: longName('b'), inputs: x }])) results.push(r);
    expect(results).toHaveLength(1);
    const r = results[0];
    if (r.ok) throw new Error('the item succeeded, but it was expected to fail');
    expect(r).toMatchObject({ id: 'long', code: grpc.status.NOT_FOUND, errorCode: 'AMAAS_ERR_MODEL_NOT_FOUND' });
    expect(short(r.message)).toContain(CUT);
  });

  it('Open Inference Protocol ModelInfer with a 64 KiB model, input or version name: short NOT_FOUND / INVALID_ARGUMENT', async () => {
    const model = await oip.failure('ModelInfer', { model_name: longName('k'), inputs: [oipX] });
    expect(model.code).toBe(grpc.status.NOT_FOUND);
    expect(short(model.details)).toContain(`model '${'k'.repeat(128)}…' ${CUT} is not in the repository`);
    const input = await oip.failure('ModelInfer', { model_name: 'scale', inputs: [{ ...oipX, name: longName('n') }] });
    expect(input.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(short(input.details)).toBe(`model 'scale' has no input '${'n'.repeat(128)}…' ${CUT} (inputs: x)`);
    const datatype = await oip.failure('ModelInfer', { model_name: 'scale', inputs: [{ ...oipX, datatype: longName('D') }] });
    expect(datatype.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(short(datatype.details)).toContain(`datatype '${'D'.repeat(128)}…' ${CUT} is not supported`);
    const version = await oip.failure('ModelInfer', { model_name: 'scale', model_version: longName('v'), inputs: [oipX] });
    expect(version.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(short(version.details)).toContain(CUT);
  });

  it('REST infer with a 64 KiB input name, and a model name as long as a URL may be: short 400 / 404', async () => {
    const input = await rest('POST', '/v2/models/scale/infer', { inputs: [{ name: longName('r'), datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] });
    expect(input.status).toBe(400);
    expect(input.error).toBe(`model 'scale' has no input '${'r'.repeat(128)}…' ${CUT} (inputs: x)`);
    // node:http refuses request heads over 16 KiB, so a model name in the URL cannot be 64 KiB long.
    const model = await rest('POST', `/v2/models/${'u'.repeat(8000)}/infer`, { inputs: [] });
    expect(model.status).toBe(404);
    expect(model.error).toContain(`model '${'u'.repeat(128)}…' (cut at 128 of 8000 characters) is not in the repository`);
  });

  it('broken versions: reasons and load failures name the file or the version, never a server path', async () => {
    const reasons = (await ts2.client.listModels()).flatMap((m) => m.versions.map((v) => `${m.name} ${v.version}: ${v.reason}`));
    expect(reasons).toEqual([
      expect.stringMatching(/^bad_config 1: invalid model config config\.json: instances/),
      expect.stringMatching(/^broken 1: onnxruntime could not load model\.onnx: /),
      expect.stringMatching(/^checked 1: checksum mismatch: the sha256 of model\.onnx is [0-9a-f]{64}, the config expects (ab){32}$/),
      'no_file 1: model.onnx is missing from version folder 1',
      'scale 1: ',
    ]);
    for (const r of reasons) short(r);
    const failures = [
      [() => ts2.client.loadModel('nope'), 'AMAAS_ERR_MODEL_NOT_FOUND', "model 'nope' is not in the repository"],
      [() => ts2.client.loadModel('broken'), 'AMAAS_ERR_MODEL_LOAD_FAILED', "model 'broken' loaded no ready version (version 1: onnxruntime could not load model.onnx: "],
      [() => ts2.client.loadModel('no_file', 1), 'AMAAS_ERR_MODEL_LOAD_FAILED', "model 'no_file' version 1: model.onnx is missing from version folder 1"],
      [() => ts2.client.loadModel('checked', 1), 'AMAAS_ERR_CHECKSUM_MISMATCH', 'checksum mismatch: the sha256 of model.onnx is'],
      [() => ts2.client.loadModel('bad_config'), 'AMAAS_ERR_CONFIG_INVALID', 'invalid model config config.json: instances'],
      [() => ts2.client.predict('broken', x), 'AMAAS_ERR_MODEL_UNAVAILABLE', "model 'broken' has no ready version (version 1: onnxruntime could not load model.onnx: "],
    ] as const;
    for (const [call, errorCode, text] of failures) {
      const f = await sdkFailure(call());
      expect({ errorCode: f.errorCode, details: f.details }).toEqual({ errorCode, details: expect.stringContaining(text) });
    }
    const unavailable = await rest('GET', '/v2/models/broken');
    expect(unavailable.status).toBe(503);
    expect(unavailable.error).toContain('onnxruntime could not load model.onnx: ');
  });
});

it('no message a client saw in this file names the server repository', () => {
  // Both servers' messages are here: the cases above and the long-name and broken-version tests.
  expect(new Set(seen.map((s) => s.repository)).size).toBe(2);
  expect(seen.length).toBeGreaterThan(cases.length);
  for (const { message, repository } of seen) {
    expect({ message, namesRepository: message.includes(repository) }).toEqual({ message, namesRepository: false });
  }
});
