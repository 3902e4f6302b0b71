/**
 * An independent Open Inference Protocol client for the tests: its message types are a protobufjs JSON
 * descriptor written here by hand from the public definitions (KServe docs/predict-api/v2/grpc_predict_v2.proto,
 * Triton common/protobuf/grpc_service.proto and model_config.proto), NOT loaded from the server's proto/ folder,
 * so a field-number mistake on the server side shows up as a wrong or missing value here.
 */
import * as grpc from '@grpc/grpc-js';
import * as protobuf from 'protobufjs';

const one = (type: string, id: number) => ({ type, id });
const many = (type: string, id: number) => ({ rule: 'repeated', type, id });
const map = (type: string, id: number) => ({ keyType: 'string', type, id });
const nameVersion = { fields: { name: one('string', 1), version: one('string', 2) } };
const empty = { fields: {} };

const tensorLayout = (contentsId: number) => ({
  fields: {
    name: one('string', 1),
    datatype: one('string', 2),
    shape: many('int64', 3),
    parameters: map('InferParameter', 4),
    contents: one('InferTensorContents', contentsId),
  },
});

const duration = { fields: { count: one('uint64', 1), ns: one('uint64', 2) } };

/** The public spec, as numbers on the wire. */
const PUBLIC_SPEC = {
  nested: {
    inference: {
      edition: 'proto3',
      nested: {
        ServerLiveRequest: empty,
        ServerLiveResponse: { fields: { live: one('bool', 1) } },
        ServerReadyRequest: empty,
        ServerReadyResponse: { fields: { ready: one('bool', 1) } },
        ModelReadyRequest: nameVersion,
        ModelReadyResponse: { fields: { ready: one('bool', 1) } },
        ServerMetadataRequest: empty,
        ServerMetadataResponse: { fields: { name: one('string', 1), version: one('string', 2), extensions: many('string', 3) } },
        ModelMetadataRequest: nameVersion,
        ModelMetadataResponse: {
          fields: {
            name: one('string', 1),
            versions: many('string', 2),
            platform: one('string', 3),
            inputs: many('TensorMetadata', 4),
            outputs: many('TensorMetadata', 5),
          },
          nested: {
            TensorMetadata: { fields: { name: one('string', 1), datatype: one('string', 2), shape: many('int64', 3) } },
          },
        },
        InferParameter: {
          oneofs: { parameter_choice: { oneof: ['bool_param', 'int64_param', 'string_param', 'double_param', 'uint64_param'] } },
          fields: {
            bool_param: one('bool', 1),
            int64_param: one('int64', 2),
            string_param: one('string', 3),
            double_param: one('double', 4),
            uint64_param: one('uint64', 5),
          },
        },
        InferTensorContents: {
          fields: {
            bool_contents: many('bool', 1),
            int_contents: many('int32', 2),
            int64_contents: many('int64', 3),
            uint_contents: many('uint32', 4),
            uint64_contents: many('uint64', 5),
            fp32_contents: many('float', 6),
            fp64_contents: many('double', 7),
            bytes_contents: many('bytes', 8),
          },
        },
        ModelInferRequest: {
          fields: {
            model_name: one('string', 1),
            model_version: one('string', 2),
            id: one('string', 3),
            parameters: map('InferParameter', 4),
            inputs: many('InferInputTensor', 5),
            outputs: many('InferRequestedOutputTensor', 6),
            raw_input_contents: many('bytes', 7),
          },
          nested: {
            InferInputTensor: tensorLayout(5),
            InferRequestedOutputTensor: { fields: { name: one('string', 1), parameters: map('InferParameter', 2) } },
          },
        },
        ModelInferResponse: {
          fields: {
            model_name: one('string', 1),
            model_version: one('string', 2),
            id: one('string', 3),
            parameters: map('InferParameter', 4),
            outputs: many('InferOutputTensor', 5),
            raw_output_contents: many('bytes', 6),
          },
          nested: { InferOutputTensor: tensorLayout(5) },
        },
        ModelStreamInferResponse: { fields: { error_message: one('string', 1), infer_response: one('ModelInferResponse', 2) } },
        ModelConfigRequest: nameVersion,
        ModelConfigResponse: { fields: { config: one('ModelConfig', 1) } },
        DataType: {
          values: {
            TYPE_INVALID: 0, TYPE_BOOL: 1, TYPE_UINT8: 2, TYPE_UINT16: 3, TYPE_UINT32: 4, TYPE_UINT64: 5, TYPE_INT8: 6,
            TYPE_INT16: 7, TYPE_INT32: 8, TYPE_INT64: 9, TYPE_FP16: 10, TYPE_FP32: 11, TYPE_FP64: 12, TYPE_STRING: 13, TYPE_BF16: 14,
          },
        },
        ModelInput: { fields: { name: one('string', 1), data_type: one('DataType', 2), format: one('int32', 3), dims: many('int64', 4) } },
        ModelOutput: { fields: { name: one('string', 1), data_type: one('DataType', 2), dims: many('int64', 3), label_filename: one('string', 4) } },
        ModelConfig: {
          fields: {
            name: one('string', 1),
            platform: one('string', 2),
            max_batch_size: one('int32', 4),
            input: many('ModelInput', 5),
            output: many('ModelOutput', 6),
            backend: one('string', 17),
            response_cache: one('ModelResponseCache', 24),
          },
        },
        ModelResponseCache: { fields: { enable: one('bool', 1) } },
        ModelStatisticsRequest: nameVersion,
        StatisticDuration: duration,
        InferStatistics: {
          fields: {
            success: one('StatisticDuration', 1),
            fail: one('StatisticDuration', 2),
            queue: one('StatisticDuration', 3),
            compute_input: one('StatisticDuration', 4),
            compute_infer: one('StatisticDuration', 5),
            compute_output: one('StatisticDuration', 6),
            cache_hit: one('StatisticDuration', 7),
            cache_miss: one('StatisticDuration', 8),
          },
        },
        ModelStatistics: {
          fields: {
            name: one('string', 1),
            version: one('string', 2),
            last_inference: one('uint64', 3),
            inference_count: one('uint64', 4),
            execution_count: one('uint64', 5),
            inference_stats: one('InferStatistics', 6),
          },
        },
        ModelStatisticsResponse: { fields: { model_stats: many('ModelStatistics', 1) } },
        RepositoryIndexRequest: { fields: { repository_name: one('string', 1), ready: one('bool', 2) } },
        RepositoryIndexResponse: {
          fields: { models: many('ModelIndex', 1) },
          nested: { ModelIndex: { fields: { name: one('string', 1), version: one('string', 2), state: one('string', 3), reason: one('string', 4) } } },
        },
        RepositoryModelLoadRequest: { fields: { repository_name: one('string', 1), model_name: one('string', 2) } },
        RepositoryModelLoadResponse: empty,
        RepositoryModelUnloadRequest: { fields: { repository_name: one('string', 1), model_name: one('string', 2) } },
        RepositoryModelUnloadResponse: empty,
      },
    },
  },
};

const root = protobuf.Root.fromJSON(PUBLIC_SPEC);
root.resolveAll();

const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, defaults: true, arrays: true };

/** RPC name -> [request type, response type, bidi stream]. */
const RPCS: Record<string, [string, string, boolean?]> = {
  ServerLive: ['ServerLiveRequest', 'ServerLiveResponse'],
  ServerReady: ['ServerReadyRequest', 'ServerReadyResponse'],
  ModelReady: ['ModelReadyRequest', 'ModelReadyResponse'],
  ServerMetadata: ['ServerMetadataRequest', 'ServerMetadataResponse'],
  ModelMetadata: ['ModelMetadataRequest', 'ModelMetadataResponse'],
  ModelInfer: ['ModelInferRequest', 'ModelInferResponse'],
  ModelStreamInfer: ['ModelInferRequest', 'ModelStreamInferResponse', true],
  ModelConfig: ['ModelConfigRequest', 'ModelConfigResponse'],
  ModelStatistics: ['ModelStatisticsRequest', 'ModelStatisticsResponse'],
  RepositoryIndex: ['RepositoryIndexRequest', 'RepositoryIndexResponse'],
  RepositoryModelLoad: ['RepositoryModelLoadRequest', 'RepositoryModelLoadResponse'],
  RepositoryModelUnload: ['RepositoryModelUnloadRequest', 'RepositoryModelUnloadResponse'],
};

function definition(): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const [rpc, [req, res, stream]] of Object.entries(RPCS)) {
    const Req = root.lookupType(`inference.${req}`);
    const Res = root.lookupType(`inference.${res}`);
    out[rpc] = {
      path: `/inference.GRPCInferenceService/${rpc}`,
      requestStream: !!stream,
      responseStream: !!stream,
      requestSerialize: (value: object) => Buffer.from(Req.encode(Req.fromObject(value)).finish()),
      requestDeserialize: (bytes: Buffer) => Req.toObject(Req.decode(bytes), TO_OBJECT),
      responseSerialize: (value: object) => Buffer.from(Res.encode(Res.fromObject(value)).finish()),
      responseDeserialize: (bytes: Buffer) => Res.toObject(Res.decode(bytes), TO_OBJECT),
    };
  }
  return out;
}

const OipClientConstructor = grpc.makeGenericClientConstructor(definition(), 'GRPCInferenceService');

export type Message = Record<string, any>;

export class OipClient {
  readonly raw: grpc.Client & Record<string, any>;

  /** `credentials`: clear text by default; grpc.credentials.createSsl(ca, key, cert) for a TLS or mTLS server. */
  constructor(address: string, credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure()) {
    this.raw = new OipClientConstructor(address, credentials, {
      'grpc.max_send_message_length': -1,
      'grpc.max_receive_message_length': -1,
    }) as never;
  }

  /** Calls a unary RPC (with `metadata`, e.g. an authorization header); rejects with the grpc.ServiceError. */
  call(rpc: string, request: Message, metadata: grpc.Metadata = new grpc.Metadata()): Promise<Message> {
    return new Promise((resolve, reject) =>
      this.raw[rpc](request, metadata, (err: grpc.ServiceError | null, res: Message) => (err ? reject(err) : resolve(res))),
    );
  }

  /** Resolves with the error of a call expected to fail. */
  async failure(rpc: string, request: Message, metadata?: grpc.Metadata): Promise<grpc.ServiceError> {
    try {
      await this.call(rpc, request, metadata);
    } catch (err) {
      return err as grpc.ServiceError;
    }
    throw new Error(`${rpc} succeeded, but it was expected to fail`);
  }

  stream(metadata: grpc.Metadata = new grpc.Metadata()): grpc.ClientDuplexStream<Message, Message> {
    return this.raw.ModelStreamInfer(metadata);
  }

  close(): void {
    this.raw.close();
  }
}
