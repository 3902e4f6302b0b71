/**
 * Predict against the real server: outputs must equal onnxruntime-node run directly on the same input,
 * over both the raw and the typed contents paths, for every datatype amaas serves.
 */
import { decodeWireOutput } from '../../src/client/amaas-client';
import type { DataTypeName, OrtTensorType, TensorData } from '../../src/codec/dtypes';
import { dataTypeByName } from '../../src/codec/dtypes';
import { encodeTyped } from '../../src/codec/tensor-codec';
import { makeRepository, modelPath } from '../helpers/model-repository';
import { releaseDirectSessions, runDirect, values } from '../helpers/ort-direct';
import { TestServer, startTestServer } from '../helpers/test-server';
import { WireStub, rawFp32, typedFp32 } from '../helpers/wire-stub';

let repo: string;
let ts: TestServer;
let stub: WireStub;

beforeAll(async () => {
  repo = await makeRepository();
  ts = await startTestServer(repo);
  stub = new WireStub(ts.address);
});

afterAll(async () => {
  stub.close();
  await ts.stop();
  await releaseDirectSessions();
});

/** Deterministic sample data of each datatype, edge values included. */
const SAMPLES: Record<string, { ort: OrtTensorType; data: () => TensorData }> = {
  FP32: { ort: 'float32', data: () => new Float32Array([1.5, -2.25, 3.4028234663852886e38, 1e-40, 0, -0, 7, 8]) },
  FP64: { ort: 'float64', data: () => new Float64Array([Math.PI, -1e300, 5e-324, 0, 1, 2, 3, 4]) },
  FP16: { ort: 'float16', data: () => new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0, 0x8000, 0x3555, 0x4248]) },
  INT8: { ort: 'int8', data: () => new Int8Array([-128, 127, 0, 1, -1, 5, 6, 7]) },
  INT16: { ort: 'int16', data: () => new Int16Array([-32768, 32767, 0, 1, -1, 5, 6, 7]) },
  INT32: { ort: 'int32', data: () => new Int32Array([-2147483648, 2147483647, 0, 1, -1, 5, 6, 7]) },
  INT64: { ort: 'int64', data: () => new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n, 1n, -1n, 9007199254740993n, 6n, 7n]) },
  UINT8: { ort: 'uint8', data: () => new Uint8Array([0, 255, 1, 2, 3, 4, 5, 6]) },
  UINT16: { ort: 'uint16', data: () => new Uint16Array([0, 65535, 1, 2, 3, 4, 5, 6]) },
  UINT32: { ort: 'uint32', data: () => new Uint32Array([0, 4294967295, 1, 2, 3, 4, 5, 6]) },
  UINT64: { ort: 'uint64', data: () => new BigUint64Array([0n, 2n ** 64n - 1n, 1n, 2n, 3n, 4n, 5n, 6n]) },
  BOOL: { ort: 'bool', data: () => new Uint8Array([1, 0, 0, 1, 1, 1, 0, 0]) },
  BYTES: { ort: 'string', data: () => ['', 'a', 'héllo', '日本語', 'x'.repeat(300), 'tab\tnew\nline', '0', 'end'] },
};

const SHAPE = [2, 4];

describe.each(Object.keys(SAMPLES))('identity model for %s', (name) => {
  const sample = SAMPLES[name];
  const model = `identity_${sample.ort === 'string' ? 'string' : name.toLowerCase()}`;

  it('raw contents give the same output as onnxruntime run directly', async () => {
    const expected = await runDirect(modelPath(repo, model), { x: { type: sample.ort, dims: SHAPE, data: sample.data() } });
    const result = await ts.client.predict(model, { x: { data: sample.data(), dims: SHAPE, datatype: name as DataTypeName } });
    expect(result.outputs.y.datatype).toBe(name);
    expect(result.outputs.y.dims).toEqual(expected.y.dims);
    expect(values(result.outputs.y.data)).toEqual(expected.y.values);
  });

  it('typed contents give the same output as onnxruntime run directly', async () => {
    const datatype = dataTypeByName(name)!;
    const expected = await runDirect(modelPath(repo, model), { x: { type: sample.ort, dims: SHAPE, data: sample.data() } });
    const typed = encodeTyped({ name: 'x', datatype, shape: SHAPE, data: sample.data() });
    const response = await stub.predict({
      model_name: model,
      inputs: [{ name: 'x', datatype: `DATA_TYPE_${name}`, shape: SHAPE, typed_contents: typed } as never],
    });
    // A typed request is answered with typed contents.
    expect(response.outputs[0].contents).toBe('typed_contents');
    const output = decodeWireOutput(response.outputs[0]);
    expect(output.dims).toEqual(expected.y.dims);
    expect(values(output.data)).toEqual(expected.y.values);
  });
});

describe('models with several inputs, outputs and shapes', () => {
  it('mlp over raw and typed paths equals onnxruntime', async () => {
    const x = Float32Array.from({ length: 3 * 64 }, (_, i) => Math.sin(i) * 2);
    const expected = await runDirect(modelPath(repo, 'mlp'), { x: { type: 'float32', dims: [3, 64], data: x } });
    const raw = await ts.client.predict('mlp', { x: { data: x, dims: [3, 64] } });
    expect(raw.outputs.logits.dims).toEqual([3, 10]);
    expect(values(raw.outputs.logits.data)).toEqual(expected.logits.values);
    const typed = await stub.predict({ model_name: 'mlp', inputs: [typedFp32('x', [3, 64], Array.from(x))] as never });
    expect(values(decodeWireOutput(typed.outputs[0]).data)).toEqual(expected.logits.values);
  });

  it('returns only the requested outputs, in the order asked for', async () => {
    const a = [1, 2, 3, 4, 5, 6];
    const b = [6, 5, 4, 3, 2, 1];
    const both = await ts.client.predict('multi_io', {
      a: { data: new Float32Array(a), dims: [2, 3] },
      b: { data: new Float32Array(b), dims: [2, 3] },
    }, { outputs: ['product', 'sum'] });
    expect(Object.keys(both.outputs)).toEqual(['product', 'sum']);
    expect(values(both.outputs.product.data)).toEqual(a.map((v, i) => v * b[i]));
    expect(values(both.outputs.sum.data)).toEqual(a.map((v, i) => v + b[i]));
    const one = await stub.predict({ model_name: 'multi_io', inputs: [rawFp32('a', [2, 3], a), rawFp32('b', [2, 3], b)] as never, output_names: ['sum'] });
    expect(one.outputs.map((o) => o.name)).toEqual(['sum']);
  });

  it('int64 inputs keep full 64-bit precision', async () => {
    const ids = new BigInt64Array([9007199254740993n, -5n, 0n, 2n ** 62n]);
    const result = await ts.client.predict('int64_ops', { ids: { data: ids, dims: [2, 2] } });
    expect(values(result.outputs.doubled.data)).toEqual([18014398509481986n, -10n, 0n, 2n ** 63n * -1n]);
  });

  it('serves rank-0 scalars and zero-sized dimensions', async () => {
    const scalar = await ts.client.predict('scalar_add', { x: { data: new Float32Array([41]), dims: [] } });
    expect(scalar.outputs.y.dims).toEqual([]);
    expect(values(scalar.outputs.y.data)).toEqual([42]);
    const empty = await ts.client.predict('scale', { x: { data: new Float32Array(0), dims: [0, 4] } });
    expect(empty.outputs.y.dims).toEqual([0, 4]);
    expect(values(empty.outputs.y.data)).toEqual([]);
    // An empty tensor may also be sent with no contents at all.
    const none = await stub.predict({ model_name: 'scale', inputs: [{ name: 'x', datatype: 'DATA_TYPE_FP32', shape: [0, 4] }] as never });
    expect(none.outputs[0].shape.map(Number)).toEqual([0, 4]);
  });

  it('echoes the request id and reports the version that ran', async () => {
    const r = await stub.predict({ model_name: 'scale', id: 'req-42', inputs: [rawFp32('x', [1, 4], [1, 2, 3, 4])] as never });
    expect(r.id).toBe('req-42');
    expect(Number(r.model_version)).toBe(1);
    expect(r.outputs[0].contents).toBe('raw_contents');
    const typedOut = await stub.predict({
      model_name: 'scale',
      inputs: [rawFp32('x', [1, 4], [1, 2, 3, 4])] as never,
      output_encoding: 'TENSOR_ENCODING_TYPED',
    });
    expect(typedOut.outputs[0].typed_contents?.fp32_contents).toEqual([3, 5, 7, 9]);
  });
});

describe('concurrency', () => {
  it('answers 200 concurrent Predicts, each with its own correct output', async () => {
    const requests = Array.from({ length: 200 }, (_, i) => Float32Array.from({ length: 64 }, (_, j) => ((i * 64 + j) % 17) - 8));
    const expected = await Promise.all(
      requests.map((x) => runDirect(modelPath(repo, 'mlp'), { x: { type: 'float32', dims: [1, 64], data: x } })),
    );
    const results = await Promise.all(requests.map((x, i) => ts.client.predict('mlp', { x: { data: x, dims: [1, 64] } }, { id: `r${i}` })));
    results.forEach((r, i) => {
      expect(r.id).toBe(`r${i}`);
      expect(values(r.outputs.logits.data)).toEqual(expected[i].logits.values);
    });
  });
});
