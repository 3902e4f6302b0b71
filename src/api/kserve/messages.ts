/**
 * Open Inference Protocol (package `inference`) messages as proto-loader hands them over with
 * PROTO_LOADER_OPTIONS: snake_case fields, int64 as strings, repeated fields always present, unset messages null.
 * Outgoing messages may use numbers where the wire type is int64.
 */
import type { TypedContents } from '../../codec/tensor-codec';
import type { WireInferParameters } from './infer-parameters';

export type Int64 = string | number;

export interface WireNameVersion {
  name: string;
  version: string;
}

export interface WireInferInputTensor {
  name: string;
  datatype: string;
  shape: Int64[];
  contents?: TypedContents | null;
}

export interface WireModelInferRequest {
  model_name: string;
  model_version: string;
  id: string;
  inputs: WireInferInputTensor[];
  outputs: { name: string }[];
  raw_input_contents: Uint8Array[];
  /** timeout, priority (infer-parameters.ts); the others are ignored. */
  parameters?: WireInferParameters;
}

export interface WireInferOutputTensor {
  name: string;
  datatype: string;
  shape: Int64[];
  contents?: TypedContents;
}

export interface WireModelInferResponse {
  model_name: string;
  model_version: string;
  id: string;
  outputs: WireInferOutputTensor[];
  raw_output_contents: Uint8Array[];
}

export interface WireModelStreamInferResponse {
  error_message: string;
  infer_response: WireModelInferResponse | null;
}

export interface WireTensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

export interface WireModelMetadataResponse {
  name: string;
  versions: string[];
  platform: string;
  inputs: WireTensorMetadata[];
  outputs: WireTensorMetadata[];
}

export interface WireServerMetadataResponse {
  name: string;
  version: string;
  extensions: string[];
}

export interface WireRepositoryModelRequest {
  repository_name: string;
  model_name: string;
}
