/**
 * Reads and writes ONNX models over ONNX's own protobuf schema (proto/onnx/onnx-subset.proto). Messages stay
 * plain objects with the schema's snake_case names; int64 fields stay 64-bit (protobufjs Longs), raw_data and
 * the typed fields are kept as they were read, so a model that is read and written back unchanged comes out
 * byte for byte the same.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as protobuf from 'protobufjs';
import { PROTO_ROOT } from '../paths';

/** An int64 as protobufjs reads it (a Long) or as code here writes it (a number or decimal string). */
export type Int64 = number | string | protobuf.Long;

export interface StringEntry {
  key?: string;
  value?: string;
}

export interface TensorProto {
  dims?: Int64[];
  data_type?: number;
  float_data?: number[];
  int32_data?: number[];
  string_data?: Uint8Array[];
  int64_data?: Int64[];
  name?: string;
  raw_data?: Uint8Array;
  double_data?: number[];
  uint64_data?: Int64[];
  doc_string?: string;
  external_data?: StringEntry[];
  data_location?: number;
  [field: string]: unknown;
}

export interface AttributeProto {
  name?: string;
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
  tensors?: TensorProto[];
  graphs?: GraphProto[];
  [field: string]: unknown;
}

export interface NodeProto {
  input: string[];
  output: string[];
  name?: string;
  op_type: string;
  attribute?: AttributeProto[];
  domain?: string;
  [field: string]: unknown;
}

export interface TensorShapeDim {
  dim_value?: Int64;
  dim_param?: string;
}

export interface TypeProto {
  tensor_type?: { elem_type?: number; shape?: { dim?: TensorShapeDim[] } };
  [field: string]: unknown;
}

export interface ValueInfoProto {
  name: string;
  type?: TypeProto;
  [field: string]: unknown;
}

export interface GraphProto {
  node: NodeProto[];
  name?: string;
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  value_info: ValueInfoProto[];
  [field: string]: unknown;
}

export interface OperatorSetId {
  domain?: string;
  version?: Int64;
}

export interface ModelProto {
  ir_version?: Int64;
  producer_name?: string;
  producer_version?: string;
  graph: GraphProto;
  opset_import: OperatorSetId[];
  metadata_props?: StringEntry[];
  [field: string]: unknown;
}

/** TensorProto.DataType numbers (onnx.proto). */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
} as const;

/** AttributeProto.AttributeType numbers. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, GRAPHS: 10 } as const;

let modelType: protobuf.Type | undefined;

function modelProtoType(): protobuf.Type {
  if (!modelType) {
    // keepCase: the objects keep onnx.proto's snake_case names.
    const root = new protobuf.Root().loadSync(path.join(PROTO_ROOT, 'onnx', 'onnx-subset.proto'), { keepCase: true });
    modelType = root.lookupType('onnx.ModelProto');
  }
  return modelType;
}

/** Decodes a serialised ModelProto. Every repeated field is an array of its own (safe to push to). */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const type = modelProtoType();
  const model = type.toObject(type.decode(bytes), { arrays: true, defaults: false }) as ModelProto;
  if (!model.graph) throw new Error('not an ONNX model: it has no graph');
  return model;
}

/**
 * Serialises a ModelProto. The result is a plain Uint8Array of this realm: onnxruntime-node's
 * InferenceSession.create tests `instanceof Uint8Array`, which a protobufjs Buffer fails inside jest's vm.
 */
export function encodeModel(model: ModelProto): Uint8Array {
  const encoded = modelProtoType().encode(model).finish();
  const out = new Uint8Array(encoded.length);
  out.set(encoded);
  return out;
}

export function readModelFile(file: string): ModelProto {
  return decodeModel(fs.readFileSync(file));
}

export function writeModelFile(file: string, model: ModelProto): number {
  const bytes = encodeModel(model);
  fs.writeFileSync(file, bytes);
  return bytes.length;
}

/** An int64 field as a JS number; throws past 2^53 rather than round silently. */
export function int64ToNumber(v: Int64 | undefined): number {
  if (v === undefined) return 0;
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number(v.toString());
  if (!Number.isSafeInteger(n)) throw new Error(`int64 value ${String(v)} does not fit a JS number`);
  return n;
}

/** The opset the model imports for a domain ('' is the default ONNX domain), or 0. */
export function opsetVersion(model: ModelProto, domain = ''): number {
  const entry = model.opset_import.find((o) => (o.domain ?? '') === domain || (domain === '' && o.domain === 'ai.onnx'));
  return entry ? int64ToNumber(entry.version) : 0;
}

export function setOpsetVersion(model: ModelProto, version: number, domain = ''): void {
  const entry = model.opset_import.find((o) => (o.domain ?? '') === domain || (domain === '' && o.domain === 'ai.onnx'));
  if (entry) entry.version = version;
  else model.opset_import.push({ domain, version });
}
