/**
 * A plain grpc-js stub of amaas.v1 for tests that need to send messages the typed client never would
 * (typed contents, malformed tensors), and to see the status code and metadata of each failure.
 */
import * as grpc from '@grpc/grpc-js';
import type { WirePredictRequest, WirePredictResponse } from '../../src/api/amaas-v1/messages';
import { amaasV1Service } from '../../src/api/protos';
import { ERROR_CODE_METADATA_KEY } from '../../src/api/status-map';

export interface CallFailure {
  code: grpc.status;
  details: string;
  errorCode: string | undefined;
}

export class WireStub {
  readonly client: grpc.Client & Record<string, any>;

  constructor(address: string) {
    const Service = amaasV1Service();
    this.client = new Service(address, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1 }) as never;
  }

  predict(request: Partial<WirePredictRequest>, options: grpc.CallOptions = {}): Promise<WirePredictResponse> {
    return new Promise((resolve, reject) =>
      this.client.Predict(request, options, (err: grpc.ServiceError | null, res: WirePredictResponse) => (err ? reject(err) : resolve(res))),
    );
  }

  /** Resolves with the failure of a call expected to fail; rejects if it succeeds. */
  async predictFailure(request: Partial<WirePredictRequest>): Promise<CallFailure> {
    try {
      await this.predict(request);
    } catch (err) {
      const e = err as grpc.ServiceError;
      const code = e.metadata?.get(ERROR_CODE_METADATA_KEY)?.[0];
      return { code: e.code, details: e.details, errorCode: code === undefined ? undefined : String(code) };
    }
    throw new Error('the call succeeded, but it was expected to fail');
  }

  close(): void {
    this.client.close();
  }
}

/** A raw FP32 tensor message. */
export function rawFp32(name: string, shape: number[], values: number[]) {
  return { name, datatype: 'DATA_TYPE_FP32', shape, raw_contents: Buffer.from(new Float32Array(values).buffer) };
}

/** A typed FP32 tensor message. */
export function typedFp32(name: string, shape: number[], values: number[]) {
  return { name, datatype: 'DATA_TYPE_FP32', shape, typed_contents: { fp32_contents: values } };
}
