/**
 * amaas.v1 messages as proto-loader hands them over with PROTO_LOADER_OPTIONS (snake_case fields, int64 as
 * strings, enums as their names, oneof member named by a virtual field). Outgoing messages may use numbers.
 */
import type { TypedContents } from '../../codec/tensor-codec';

export type Int64 = string | number;

export interface WireTensor {
  name: string;
  /** Requests bring the enum name; responses carry the number, because they are encoded directly. */
  datatype: string | number;
  shape: Int64[];
  raw_contents?: Uint8Array | null;
  typed_contents?: TypedContents | null;
  /** Which member of the `contents` oneof is set. */
  contents?: 'raw_contents' | 'typed_contents';
}

export interface WirePredictRequest {
  model_name: string;
  model_version: Int64;
  id: string;
  inputs: WireTensor[];
  output_names: string[];
  output_encoding: string;
  /** Priority's name (PRIORITY_HIGH ...); absent from an older client. */
  priority?: string;
}

export interface WirePredictResponse {
  model_name: string;
  model_version: Int64;
  id: string;
  outputs: WireTensor[];
}

export interface WireBatchPredictRequest {
  request: WirePredictRequest | null;
  /** 0: none of its own. */
  timeout_ms?: number;
}

export interface WireItemStatus {
  code: number;
  message: string;
  error_code: string;
}

export interface WireBatchPredictResponse {
  id: string;
  status: WireItemStatus;
  response: WirePredictResponse | null;
}

export interface WireTensorMetadata {
  name: string;
  datatype: string;
  shape: Int64[];
}

export interface WireModelVersionStatus {
  version: Int64;
  state: string;
  reason: string;
  execution_provider: string;
  notes: string[];
}

export interface WireModelMetadata {
  name: string;
  default_version: Int64;
  versions: WireModelVersionStatus[];
  described_version: Int64;
  inputs: WireTensorMetadata[];
  outputs: WireTensorMetadata[];
  platform: string;
  traffic: WireTrafficShare[];
}

export interface WireTrafficShare {
  version: Int64;
  percent: number;
}

export interface WireGetModelMetadataRequest {
  model_name: string;
  model_version: Int64;
}
