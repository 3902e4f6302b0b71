import { amaasV1Service } from '../../../src/api/protos';
import { lengthDelimitedField, readBatchAnswer, readStringField, stringField } from '../../../bench/wire-bytes';
import { echoService } from '../../../bench/echo-server';

describe('bench wire bytes', () => {
  const service = amaasV1Service().service;

  it('builds a BatchPredictRequest item that decodes to the prebuilt request with its id', () => {
    const predict = service.Predict.requestSerialize({
      model_name: 'mlp_small',
      inputs: [{ name: 'x', datatype: 'DATA_TYPE_FP32', shape: [1, 2], raw_contents: Buffer.from(new Float32Array([1, 2]).buffer) }],
      output_encoding: 'TENSOR_ENCODING_RAW',
    });
    // 300 characters: the length prefix needs two varint bytes.
    const id = 'item-'.repeat(60);
    const item = service.BatchPredict.requestDeserialize(lengthDelimitedField(1, Buffer.concat([predict, stringField(3, id)])));
    expect(item.request.id).toBe(id);
    expect(item.request.model_name).toBe('mlp_small');
    expect(item.request.inputs[0].shape.map(Number)).toEqual([1, 2]);
    expect(new Float32Array(new Uint8Array(item.request.inputs[0].raw_contents).buffer)).toEqual(new Float32Array([1, 2]));
  });

  it('reads the id and status code of a BatchPredictResponse, skipping the response', () => {
    const ok = service.BatchPredict.responseSerialize({
      id: '41',
      status: { code: 0 },
      response: { model_name: 'm', model_version: '3', outputs: [{ name: 'y', datatype: 'DATA_TYPE_FP32', shape: [1], raw_contents: Buffer.alloc(4) }] },
    });
    expect(readBatchAnswer(ok)).toEqual({ id: '41', code: 0 });
    const failed = service.BatchPredict.responseSerialize({ id: '42', status: { code: 8, message: 'queue full', error_code: 'AMAAS_ERR_QUEUE_FULL' } });
    expect(readBatchAnswer(failed)).toEqual({ id: '42', code: 8 });
  });

  it('appends an id to a prebuilt echo message', () => {
    const echo = echoService().service.Echo;
    const base = echo.requestSerialize({ id: '', payload: Buffer.from([1, 2, 3]) });
    const bytes = Buffer.concat([base, stringField(1, '7')]);
    expect(readStringField(bytes, 1)).toBe('7');
    const decoded = echo.requestDeserialize(bytes);
    expect(decoded.id).toBe('7');
    expect([...decoded.payload]).toEqual([1, 2, 3]);
  });
});
