/**
 * The direct request decoder on the real server: bytes that are not a valid message are answered
 * INVALID_ARGUMENT with the decoder's reason (a unary call) or with an item error (a stream, which goes on),
 * on amaas.v1 and the Open Inference Protocol; valid bytes written by hand (unknown fields, unpacked shape)
 * are served.
 */
import * as grpc from '@grpc/grpc-js';
import * as protobuf from 'protobufjs';
import { protobufRoot } from '../../src/api/direct-encoding';
import { ERROR_CODE_METADATA_KEY } from '../../src/api/status-map';
import { makeRepository } from '../helpers/model-repository';
import { TestServer, startTestServer } from '../helpers/test-server';

let ts: TestServer;
let client: grpc.Client;

beforeAll(async () => {
  ts = await startTestServer(await makeRepository([{ model: 'identity_fp32' }]));
  client = new grpc.Client(ts.address, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client.close();
  await ts.stop();
});

const bytesOf = (b: Buffer) => b;
const type = (name: string) => protobufRoot().lookupType(name);
const encode = (name: string, message: object) => Buffer.from(type(name).encode(type(name).fromObject(message)).finish());
const decode = (name: string, bytes: Buffer) => type(name).toObject(type(name).decode(bytes), { longs: String, enums: String, defaults: true }) as Record<string, any>;

/** A length past the end of the message: field 1 (a string in every request type here) claims 100 bytes. */
const TRUNCATED = Buffer.from([0x0a, 0x64, 0x6d]);
const FP32 = Buffer.from(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer);

function unary(path: string, request: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => client.makeUnaryRequest(path, bytesOf, bytesOf, request, (err, res) => (err ? reject(err) : resolve(res!))));
}

async function failure(path: string, request: Buffer): Promise<{ code: number; details: string; errorCode: unknown }> {
  try {
    await unary(path, request);
  } catch (err) {
    const e = err as grpc.ServiceError;
    return { code: e.code, details: e.details, errorCode: e.metadata?.get(ERROR_CODE_METADATA_KEY)?.[0] };
  }
  throw new Error(`${path} succeeded, but it was expected to fail`);
}

/** Writes `items` on one stream and collects every answer until the server ends it. */
function stream(path: string, items: Buffer[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const call = client.makeBidiStreamRequest(path, bytesOf, bytesOf);
    const answers: Buffer[] = [];
    call.on('data', (b: Buffer) => answers.push(b));
    call.on('error', reject);
    call.on('end', () => resolve(answers));
    for (const item of items) call.write(item);
    call.end();
  });
}

describe('amaas.v1', () => {
  const predict = { model_name: 'identity_fp32', id: 'ok-1', inputs: [{ name: 'x', datatype: 'DATA_TYPE_FP32', shape: ['2', '4'], raw_contents: FP32 }] };

  it('answers a Predict that is not a valid message with INVALID_ARGUMENT and the reason', async () => {
    const f = await failure('/amaas.v1.InferenceService/Predict', TRUNCATED);
    expect(f.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(f.errorCode).toBe('AMAAS_ERR_INVALID_REQUEST');
    expect(f.details).toMatch(/^the request is not a valid amaas\.v1\.PredictRequest message \(in model_name\): a length of 100 at byte 1 runs past the end/);
  });

  it('serves a Predict with unknown fields and an unpacked shape', async () => {
    const tensor = Buffer.concat([
      encode('amaas.v1.Tensor', { name: 'x', datatype: 'DATA_TYPE_FP32', raw_contents: FP32 }),
      // shape [2, 4], one tag per element, then an unknown field 9 of each wire type.
      Buffer.from(protobuf.Writer.create().uint32(0x18).int64(2).uint32(0x18).int64(4).uint32(0x48).uint32(1).uint32(0x49).fixed64(1).uint32(0x4d).fixed32(1).finish()),
    ]);
    // The unknown field is number 99, far above any PredictRequest field (field numbers get added over time).
    const request = Buffer.concat([
      encode('amaas.v1.PredictRequest', { model_name: 'identity_fp32', id: 'hand-made' }),
      Buffer.from(protobuf.Writer.create().uint32(0x22).bytes(tensor).uint32((99 << 3) | 2).string('unknown').finish()),
    ]);
    const response = decode('amaas.v1.PredictResponse', await unary('/amaas.v1.InferenceService/Predict', request));
    expect(response.id).toBe('hand-made');
    expect(response.outputs[0].shape).toEqual(['2', '4']);
    expect(Buffer.from(response.outputs[0].raw_contents)).toEqual(FP32);
  });

  it('answers a malformed BatchPredict item with an item error and goes on with the stream', async () => {
    const answers = await stream('/amaas.v1.InferenceService/BatchPredict', [TRUNCATED, encode('amaas.v1.BatchPredictRequest', { request: predict })]);
    const decoded = answers.map((a) => decode('amaas.v1.BatchPredictResponse', a));
    const bad = decoded.find((d) => d.id === '')!;
    expect(bad.status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.status.error_code).toBe('AMAAS_ERR_INVALID_REQUEST');
    expect(bad.status.message).toMatch(/not a valid amaas\.v1\.BatchPredictRequest message \(in request\)/);
    const good = decoded.find((d) => d.id === 'ok-1')!;
    expect(good.status.code).toBe(grpc.status.OK);
    expect(decoded).toHaveLength(2);
  });
});

describe('Open Inference Protocol', () => {
  const infer = { model_name: 'identity_fp32', id: 'ok-2', inputs: [{ name: 'x', datatype: 'FP32', shape: ['2', '4'] }], raw_input_contents: [FP32] };

  it('answers a ModelInfer that is not a valid message with INVALID_ARGUMENT and the reason', async () => {
    const f = await failure('/inference.GRPCInferenceService/ModelInfer', TRUNCATED);
    expect(f.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(f.details).toMatch(/^the request is not a valid inference\.ModelInferRequest message \(in model_name\)/);
  });

  it('serves a ModelInfer with parameters, and answers a malformed ModelStreamInfer message with an error_message', async () => {
    const withParameters = { ...infer, parameters: { timeout: { int64_param: '5000' }, note: { string_param: 'x' } } };
    const served = decode('inference.ModelInferResponse', await unary('/inference.GRPCInferenceService/ModelInfer', encode('inference.ModelInferRequest', withParameters)));
    expect(served.id).toBe('ok-2');
    const answers = await stream('/inference.GRPCInferenceService/ModelStreamInfer', [TRUNCATED, encode('inference.ModelInferRequest', infer)]);
    const decoded = answers.map((a) => decode('inference.ModelStreamInferResponse', a));
    expect(decoded).toHaveLength(2);
    expect(decoded.find((d) => d.error_message !== '')!.error_message).toMatch(/AMAAS_ERR_INVALID_REQUEST: the request is not a valid inference\.ModelInferRequest message/);
    expect(decoded.find((d) => d.error_message === '')!.infer_response.id).toBe('ok-2');
  });
});
