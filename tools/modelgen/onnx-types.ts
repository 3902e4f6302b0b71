/**
 * The model generator's vocabulary: ONNX element types with their TensorProto codes, shapes, tensor values and
 * node attributes, as the builder (onnx-builder.ts) takes them.
 */
/** Element type names, spelled as onnxruntime's JS API spells them. */
export type ElemType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool'
  | 'string';

/** TensorProto.DataType numbers (onnx.proto). */
export const ONNX_DATA_TYPE: Readonly<Record<ElemType, number>> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
};

export const ELEM_TYPES: readonly ElemType[] = Object.keys(ONNX_DATA_TYPE) as ElemType[];

/** A dimension: fixed size, or a symbolic name such as "batch". */
export type Dim = number | string;
export type Shape = readonly Dim[];

/**
 * Tensor payloads. float16 takes raw IEEE-754 half bits (Uint16Array), since
 * Node 20 has no Float16Array. bool takes 0/1 bytes or booleans.
 */
export type TensorData =
  | ArrayLike<number>
  | ArrayLike<bigint>
  | ArrayLike<boolean>
  | readonly string[];

export interface TensorValue {
  elemType: ElemType;
  dims: readonly number[];
  data: TensorData;
}

export type AttributeValue =
  | { type: 'int'; value: number | bigint }
  | { type: 'float'; value: number }
  | { type: 'ints'; value: ReadonlyArray<number | bigint> }
  | { type: 'floats'; value: readonly number[] }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: TensorValue };

/** Explicit attribute constructors: a JS number alone cannot say int or float. */
export const attr = {
  int: (value: number | bigint): AttributeValue => ({ type: 'int', value }),
  float: (value: number): AttributeValue => ({ type: 'float', value }),
  ints: (value: ReadonlyArray<number | bigint>): AttributeValue => ({ type: 'ints', value }),
  floats: (value: readonly number[]): AttributeValue => ({ type: 'floats', value }),
  string: (value: string): AttributeValue => ({ type: 'string', value }),
  tensor: (value: TensorValue): AttributeValue => ({ type: 'tensor', value }),
};
