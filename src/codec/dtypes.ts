/**
 * The one datatype table: wire enum name <-> onnxruntime type <-> TypedArray <-> byte width <-> the typed
 * contents field that carries it. Everything else looks types up here.
 */

/** Datatype names as they appear in amaas.v1 (without the DATA_TYPE_ prefix) and in the Open Inference Protocol. */
export type DataTypeName =
  | 'BOOL'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'FP16'
  | 'FP32'
  | 'FP64'
  | 'BYTES';

/** onnxruntime-common's tensor type names. */
export type OrtTensorType =
  | 'bool'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float16'
  | 'float32'
  | 'float64'
  | 'string';

export type NumericArray =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

/** Tensor data as onnxruntime takes and returns it: a typed array, or strings for BYTES. */
export type TensorData = NumericArray | string[];

/** The repeated field of TensorContents that carries a datatype in the typed (convenient) path. */
export type TypedContentsField =
  | 'bool_contents'
  | 'int_contents'
  | 'int64_contents'
  | 'uint_contents'
  | 'uint64_contents'
  | 'fp32_contents'
  | 'fp64_contents'
  | 'bytes_contents';

interface TypedArrayConstructor {
  readonly BYTES_PER_ELEMENT: number;
  new (length: number): NumericArray;
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): NumericArray;
}

export interface DataTypeInfo {
  readonly name: DataTypeName;
  readonly ort: OrtTensorType;
  /** Bytes per element in raw form; 0 for BYTES, whose elements are length-prefixed. */
  readonly itemSize: number;
  /** Storage onnxruntime uses; null for BYTES (string[]). BOOL is one byte per element, FP16 its raw bits. */
  readonly array: TypedArrayConstructor | null;
  readonly typedField: TypedContentsField;
}

const TABLE: readonly DataTypeInfo[] = [
  { name: 'BOOL', ort: 'bool', itemSize: 1, array: Uint8Array, typedField: 'bool_contents' },
  { name: 'UINT8', ort: 'uint8', itemSize: 1, array: Uint8Array, typedField: 'uint_contents' },
  { name: 'UINT16', ort: 'uint16', itemSize: 2, array: Uint16Array, typedField: 'uint_contents' },
  { name: 'UINT32', ort: 'uint32', itemSize: 4, array: Uint32Array, typedField: 'uint_contents' },
  { name: 'UINT64', ort: 'uint64', itemSize: 8, array: BigUint64Array, typedField: 'uint64_contents' },
  { name: 'INT8', ort: 'int8', itemSize: 1, array: Int8Array, typedField: 'int_contents' },
  { name: 'INT16', ort: 'int16', itemSize: 2, array: Int16Array, typedField: 'int_contents' },
  { name: 'INT32', ort: 'int32', itemSize: 4, array: Int32Array, typedField: 'int_contents' },
  { name: 'INT64', ort: 'int64', itemSize: 8, array: BigInt64Array, typedField: 'int64_contents' },
  // FP16 has no typed field of its own: the typed path carries FP32 values, converted on the way.
  { name: 'FP16', ort: 'float16', itemSize: 2, array: Uint16Array, typedField: 'fp32_contents' },
  { name: 'FP32', ort: 'float32', itemSize: 4, array: Float32Array, typedField: 'fp32_contents' },
  { name: 'FP64', ort: 'float64', itemSize: 8, array: Float64Array, typedField: 'fp64_contents' },
  { name: 'BYTES', ort: 'string', itemSize: 0, array: null, typedField: 'bytes_contents' },
];

const BY_NAME = new Map<string, DataTypeInfo>(TABLE.map((t) => [t.name, t]));
const BY_ORT = new Map<string, DataTypeInfo>(TABLE.map((t) => [t.ort, t]));

export const DATA_TYPES: readonly DataTypeInfo[] = TABLE;

/** Looks up a datatype by its name ('FP32'); undefined when amaas does not support it. */
export function dataTypeByName(name: string): DataTypeInfo | undefined {
  return BY_NAME.get(name);
}

/** Looks up a datatype by onnxruntime's type name ('float32'); undefined when amaas does not serve it. */
export function dataTypeByOrt(ort: string): DataTypeInfo | undefined {
  return BY_ORT.get(ort);
}

/** The wire enum of amaas.v1 prefixes each name; proto-loader hands enums over as these strings. */
const WIRE_PREFIX = 'DATA_TYPE_';

export function dataTypeFromWire(wire: string): DataTypeInfo | undefined {
  return wire.startsWith(WIRE_PREFIX) ? BY_NAME.get(wire.slice(WIRE_PREFIX.length)) : undefined;
}

export function dataTypeToWire(info: DataTypeInfo): string {
  return WIRE_PREFIX + info.name;
}
