/**
 * The Open Inference Protocol over gRPC, seen by an independent client built from the public definition:
 * health and metadata, ModelInfer with typed and raw contents equal to onnxruntime run directly (generated
 * models and the trained PaddleOCR detector), error statuses, and 64 concurrent calls.
 */
import * as grpc from '@grpc/grpc-js';
import os from 'node:os';
import { modelPath } from '../../helpers/model-repository';
import { releaseDirectSessions, runDirect } from '../../helpers/ort-direct';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { Message, OipClient } from './oip-client';
import { PADDLE_DET, bytesElements, fp32Bytes, fp32FromBytes, image, makeOipRepository, output, parseBytesElements } from './oip-fixtures';

let repo: string;
let ts: TestServer;
let client: OipClient;

beforeAll(async () => {
  repo = await makeOipRepository(true);
  ts = await startTestServer(repo);
  client = new OipClient(ts.address);
});

afterAll(async () => {
  client.close();
  await ts.stop();
  await releaseDirectSessions();
});

describe('health and metadata', () => {
  it('is live and ready', async () => {
    expect(await client.call('ServerLive', {})).toEqual({ live: true });
    expect(await client.call('ServerReady', {})).toEqual({ ready: true });
  });

  it('describes the server', async () => {
    const m = await client.call('ServerMetadata', {});
    expect(m.name).toBe('amaas');
    expect(m.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(m.extensions).toEqual(expect.arrayContaining(['model_repository', 'statistics', 'model_configuration']));
  });

  it('reports model readiness by default version and by explicit version', async () => {
    expect(await client.call('ModelReady', { name: 'scale' })).toEqual({ ready: true });
    expect(await client.call('ModelReady', { name: 'scale', version: '1' })).toEqual({ ready: true });
    expect((await client.failure('ModelReady', { name: 'nope' })).code).toBe(grpc.status.NOT_FOUND);
    expect((await client.failure('ModelReady', { name: 'scale', version: '7' })).code).toBe(grpc.status.NOT_FOUND);
  });

  it('describes a model: ready versions, platform and tensors', async () => {
    expect(await client.call('ModelMetadata', { name: 'scale' })).toEqual({
      name: 'scale',
      versions: ['1', '2'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'x', datatype: 'FP32', shape: ['-1', '4'] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: ['-1', '4'] }],
    });
    const det = await client.call('ModelMetadata', { name: 'ppocr_det', version: '1' });
    expect(det.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: ['-1', '3', '-1', '-1'] }]);
    expect((await client.failure('ModelMetadata', { name: 'nope' })).code).toBe(grpc.status.NOT_FOUND);
  });
});

describe('ModelInfer equals onnxruntime run directly', () => {
  const x = Array.from({ length: 2 * 64 }, (_, i) => Math.cos(i) * 3);

  it('typed contents in, typed contents out (mlp)', async () => {
    const expected = await runDirect(modelPath(repo, 'mlp'), { x: { type: 'float32', dims: [2, 64], data: Float32Array.from(x) } });
    const res = await client.call('ModelInfer', {
      model_name: 'mlp',
      id: 'typed-1',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 64], contents: { fp32_contents: x } }],
    });
    expect(res.id).toBe('typed-1');
    expect(res.model_name).toBe('mlp');
    expect(res.model_version).toBe('1');
    expect(res.raw_output_contents).toEqual([]);
    const logits = output(res, 'logits');
    expect(logits.datatype).toBe('FP32');
    expect(logits.shape.map(Number)).toEqual(expected.logits.dims);
    expect(logits.contents.fp32_contents).toEqual(expected.logits.values);
  });

  it('raw contents in, raw_output_contents out (mlp)', async () => {
    const expected = await runDirect(modelPath(repo, 'mlp'), { x: { type: 'float32', dims: [2, 64], data: Float32Array.from(x) } });
    const res = await client.call('ModelInfer', {
      model_name: 'mlp',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 64] }],
      raw_input_contents: [fp32Bytes(x)],
    });
    expect(res.outputs).toHaveLength(1);
    expect(res.outputs[0].contents).toBeNull();
    expect(fp32FromBytes(res.raw_output_contents[0])).toEqual(expected.logits.values);
  });

  it('honours requested outputs and the default version', async () => {
    const a = [1, 2, 3];
    const b = [4, 5, 6];
    const res = await client.call('ModelInfer', {
      model_name: 'multi_io',
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: a } },
        { name: 'b', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: b } },
      ],
      outputs: [{ name: 'product' }],
    });
    expect(res.outputs.map((o: Message) => o.name)).toEqual(['product']);
    expect(res.outputs[0].contents.fp32_contents).toEqual([4, 10, 18]);
    // model_version "" runs the default version (the highest ready: scale v2 is 3x + 1); "1" runs v1.
    const v2 = await client.call('ModelInfer', { model_name: 'scale', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }] });
    expect(v2.model_version).toBe('2');
    expect(v2.outputs[0].contents.fp32_contents).toEqual([4, 7, 10, 13]);
    const v1 = await client.call('ModelInfer', { model_name: 'scale', model_version: '1', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }] });
    expect(v1.outputs[0].contents.fp32_contents).toEqual([3, 5, 7, 9]);
  });

  it('INT64, BOOL, BYTES (typed and raw) and FP16 (answered raw)', async () => {
    const ids = ['9007199254740993', '-5', '0', '7'];
    const expected = await runDirect(modelPath(repo, 'int64_ops'), { ids: { type: 'int64', dims: [2, 2], data: BigInt64Array.from(ids.map(BigInt)) } });
    const int64 = await client.call('ModelInfer', { model_name: 'int64_ops', inputs: [{ name: 'ids', datatype: 'INT64', shape: [2, 2], contents: { int64_contents: ids } }] });
    expect(output(int64, 'doubled').contents.int64_contents).toEqual((expected.doubled.values as bigint[]).map(String));
    expect(output(int64, 'as_float').contents.fp32_contents).toEqual(expected.as_float.values);

    const bools = await client.call('ModelInfer', { model_name: 'bool_not', inputs: [{ name: 'mask', datatype: 'BOOL', shape: [3], contents: { bool_contents: [true, false, true] } }] });
    expect(bools.outputs[0].contents.bool_contents).toEqual([false, true, false]);

    const texts = ['', 'héllo', '日本語'];
    const typed = await client.call('ModelInfer', { model_name: 'string_echo', inputs: [{ name: 'text', datatype: 'BYTES', shape: [3], contents: { bytes_contents: texts.map((t) => Buffer.from(t)) } }] });
    expect(typed.outputs[0].contents.bytes_contents.map((b: Uint8Array) => Buffer.from(b).toString())).toEqual(texts);
    const raw = await client.call('ModelInfer', { model_name: 'string_echo', inputs: [{ name: 'text', datatype: 'BYTES', shape: [3] }], raw_input_contents: [bytesElements(texts)] });
    expect(parseBytesElements(raw.raw_output_contents[0])).toEqual(texts);

    const half = await client.call('ModelInfer', { model_name: 'identity_fp16', inputs: [{ name: 'x', datatype: 'FP16', shape: [1, 2] }], raw_input_contents: [Buffer.from(Uint16Array.from([0x3c00, 0xc000]).buffer)] });
    expect(Array.from(Buffer.from(half.raw_output_contents[0]))).toEqual([0x00, 0x3c, 0x00, 0xc0]);
  });

  it('the trained PaddleOCR detector, typed and raw', async () => {
    const pixels = image(3 * 64 * 64);
    const expected = await runDirect(PADDLE_DET, { x: { type: 'float32', dims: [1, 3, 64, 64], data: pixels } }, { intraOpThreads: os.availableParallelism() });
    const outName = Object.keys(expected)[0];
    const typed = await client.call('ModelInfer', {
      model_name: 'ppocr_det',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3, 64, 64], contents: { fp32_contents: Array.from(pixels) } }],
    });
    const t = output(typed, outName);
    expect(t.shape.map(Number)).toEqual(expected[outName].dims);
    expect(t.contents.fp32_contents).toEqual(expected[outName].values);
    const raw = await client.call('ModelInfer', {
      model_name: 'ppocr_det',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3, 64, 64] }],
      raw_input_contents: [fp32Bytes(pixels)],
    });
    expect(fp32FromBytes(raw.raw_output_contents[0])).toEqual(expected[outName].values);
  });
});

describe('errors', () => {
  const x = { name: 'x', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } };

  it('NOT_FOUND for an unknown model or version', async () => {
    expect((await client.failure('ModelInfer', { model_name: 'nope', inputs: [x] })).code).toBe(grpc.status.NOT_FOUND);
    expect((await client.failure('ModelInfer', { model_name: 'scale', model_version: '9', inputs: [x] })).code).toBe(grpc.status.NOT_FOUND);
  });

  it('INVALID_ARGUMENT for requests that do not fit the model or the protocol', async () => {
    const cases: Message[] = [
      { model_name: 'scale', inputs: [{ ...x, datatype: 'INT32', contents: { int_contents: [1, 2, 3, 4] } }] },
      { model_name: 'scale', inputs: [{ ...x, shape: [2, 2] }] },
      { model_name: 'scale', inputs: [{ ...x, datatype: 'FLOAT' }] },
      { model_name: 'scale', inputs: [x], outputs: [{ name: 'nope' }] },
      { model_name: 'scale', inputs: [x], raw_input_contents: [fp32Bytes([1, 2, 3, 4])] },
      { model_name: 'scale', inputs: [{ ...x, contents: null }], raw_input_contents: [fp32Bytes([1, 2, 3])] },
      { model_name: 'scale', model_version: 'latest', inputs: [x] },
      { model_name: 'multi_io', inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 3] }], raw_input_contents: [fp32Bytes([1, 2, 3]), fp32Bytes([1, 2, 3])] },
    ];
    for (const request of cases) {
      const err = await client.failure('ModelInfer', request);
      expect({ request, code: err.code }).toEqual({ request, code: grpc.status.INVALID_ARGUMENT });
      expect(err.metadata.get('amaas-error-code')[0]).toMatch(/^AMAAS_ERR_/);
    }
  });
});

it('answers 64 concurrent ModelInfer calls, each with its own id and result', async () => {
  const calls = Array.from({ length: 64 }, (_, i) => {
    const values = [i, i + 0.5, -i, 2 * i];
    return client
      .call('ModelInfer', {
        model_name: 'scale',
        model_version: '1',
        id: `c${i}`,
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4] }],
        raw_input_contents: [fp32Bytes(values)],
      })
      .then((res) => ({ i, res, values }));
  });
  const answers = await Promise.all(calls);
  for (const { i, res, values } of answers) {
    expect(res.id).toBe(`c${i}`);
    expect(fp32FromBytes(res.raw_output_contents[0])).toEqual(values.map((v) => Math.fround(2 * Math.fround(v) + 1)));
  }
});
