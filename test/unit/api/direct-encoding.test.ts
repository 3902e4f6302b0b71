import { amaasV1Service, inferenceService } from '../../../src/api/protos';
import { withDirectResponseEncoding } from '../../../src/api/direct-encoding';
import { encodePredictResponse } from '../../../src/api/amaas-v1/predict-wire';
import { encodeInferResponse } from '../../../src/api/kserve/infer-wire';
import { DATA_TYPES, DataTypeInfo } from '../../../src/codec/dtypes';
import type { Tensor } from '../../../src/codec/tensor-codec';
import type { InferenceResult } from '../../../src/service/inference-service';

/** Two elements of every datatype, including values that need all 64 bits. */
function sample(d: DataTypeInfo): Tensor {
  let data: Tensor['data'];
  if (d.array === null) data = ['héllo', ''];
  else if (d.name === 'INT64') data = new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]);
  else if (d.name === 'UINT64') data = new BigUint64Array([0n, 2n ** 64n - 1n]);
  else if (d.name === 'BOOL') data = new Uint8Array([1, 0]);
  else {
    data = new d.array(2);
    (data as Float64Array).set([1, 2]);
  }
  return { name: `out_${d.name}`, datatype: d, shape: [1, 2], data };
}

const result: InferenceResult = { modelName: 'm', modelVersion: 7, id: 'req-1', outputs: DATA_TYPES.map(sample) };
const MAX = 64 * 1024 * 1024;

describe('direct response encoding', () => {
  // Whatever a client decodes must be the same as with proto-loader's own serializer.
  const same = (method: { responseSerialize: (m: unknown) => Buffer; responseDeserialize: (b: Buffer) => unknown }, direct: (m: unknown) => Buffer, message: unknown) =>
    expect(method.responseDeserialize(direct(message))).toEqual(method.responseDeserialize(method.responseSerialize(message)));

  const amaas = amaasV1Service().service;
  const amaasDirect = withDirectResponseEncoding(amaas, ['Predict', 'BatchPredict']);
  const kserve = inferenceService().service;
  const kserveDirect = withDirectResponseEncoding(kserve, ['ModelInfer', 'ModelStreamInfer']);

  it.each(['raw', 'typed'] as const)('encodes amaas.v1 Predict and BatchPredict responses of every datatype (%s)', (encoding) => {
    const response = encodePredictResponse(result, encoding, MAX);
    same(amaas.Predict, amaasDirect.Predict.responseSerialize, response);
    same(amaas.BatchPredict, amaasDirect.BatchPredict.responseSerialize, { id: 'req-1', status: { code: 0, message: '', error_code: '' }, response });
    same(amaas.BatchPredict, amaasDirect.BatchPredict.responseSerialize, {
      id: 'req-2',
      status: { code: 8, message: 'queue full', error_code: 'AMAAS_ERR_QUEUE_FULL' },
      response: null,
    });
  });

  it.each([true, false])('encodes Open Inference Protocol ModelInfer and ModelStreamInfer responses (raw: %s)', (raw) => {
    const response = encodeInferResponse(result, raw, MAX);
    same(kserve.ModelInfer, kserveDirect.ModelInfer.responseSerialize, response);
    same(kserve.ModelStreamInfer, kserveDirect.ModelStreamInfer.responseSerialize, { error_message: '', infer_response: response });
    same(kserve.ModelStreamInfer, kserveDirect.ModelStreamInfer.responseSerialize, { error_message: '[request id: 1] AMAAS_ERR_X: no', infer_response: null });
  });

  it('keeps every other method as proto-loader built it', () => {
    expect(amaasDirect.ListModels).toBe(amaas.ListModels);
    expect(() => withDirectResponseEncoding(amaas, ['NoSuchMethod'])).toThrow(/no method NoSuchMethod/);
  });
});
