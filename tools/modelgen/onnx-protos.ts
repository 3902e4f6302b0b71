/**
 * ONNX messages as the plain objects protobufjs encodes: tensors (raw little-endian bytes, or string_data),
 * value types with fixed or symbolic dims, and node attributes. Pure functions of their arguments, so equal
 * inputs give equal bytes.
 */
import { AttributeValue, ElemType, ONNX_DATA_TYPE, Shape, TensorData, TensorValue } from './onnx-types';

/** protobufjs takes int64 as number, string or Long; bigints go as decimal strings. */
function int64Value(v: number | bigint): number | string {
  if (typeof v === 'bigint') return v.toString();
  if (!Number.isSafeInteger(v)) throw new Error(`int64 value ${v} is not a safe integer`);
  return v;
}

function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid tensor dim ${d}`);
    n *= d;
  }
  return n;
}

const BYTE_WIDTH: Readonly<Record<Exclude<ElemType, 'string'>, number>> = {
  float32: 4,
  float64: 8,
  float16: 2,
  int8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  uint8: 1,
  uint16: 2,
  uint32: 4,
  uint64: 8,
  bool: 1,
};

// Hoisted so hot loops avoid global lookups, which are slow inside vm
// contexts such as jest's.
const toNumber = Number;
const toBigInt = BigInt;
const objectTag = (v: unknown): string => Object.prototype.toString.call(v);
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const TYPED_ARRAY_TAG: Readonly<Record<Exclude<ElemType, 'string'>, string>> = {
  float32: '[object Float32Array]',
  float64: '[object Float64Array]',
  float16: '[object Uint16Array]',
  int8: '[object Int8Array]',
  int16: '[object Int16Array]',
  int32: '[object Int32Array]',
  int64: '[object BigInt64Array]',
  uint8: '[object Uint8Array]',
  uint16: '[object Uint16Array]',
  uint32: '[object Uint32Array]',
  uint64: '[object BigUint64Array]',
  bool: '[object Uint8Array]',
};

/**
 * Serialises numeric data as ONNX raw_data: fixed width, little-endian
 * whatever the host byte order.
 */
export function encodeRawData(elemType: Exclude<ElemType, 'string'>, data: TensorData): Uint8Array {
  const n = data.length;
  const width = BYTE_WIDTH[elemType];
  // Fast path: a matching typed array on a little-endian host is already in
  // wire layout. The tag test (not instanceof) also accepts other realms' arrays.
  if (HOST_LITTLE_ENDIAN && elemType !== 'bool' && objectTag(data) === TYPED_ARRAY_TAG[elemType]) {
    const view = data as unknown as ArrayBufferView;
    return new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
  }
  const out = new Uint8Array(n * width);
  const view = new DataView(out.buffer);
  const src = data as ArrayLike<unknown>;
  for (let i = 0; i < n; i++) {
    const v = src[i];
    const at = i * width;
    switch (elemType) {
      case 'float32':
        view.setFloat32(at, toNumber(v), true);
        break;
      case 'float64':
        view.setFloat64(at, toNumber(v), true);
        break;
      case 'float16':
      case 'uint16':
        view.setUint16(at, toNumber(v), true);
        break;
      case 'int16':
        view.setInt16(at, toNumber(v), true);
        break;
      case 'int8':
        view.setInt8(at, toNumber(v));
        break;
      case 'uint8':
        view.setUint8(at, toNumber(v));
        break;
      case 'bool':
        view.setUint8(at, v ? 1 : 0);
        break;
      case 'int32':
        view.setInt32(at, toNumber(v), true);
        break;
      case 'uint32':
        view.setUint32(at, toNumber(v), true);
        break;
      case 'int64':
        view.setBigInt64(at, toBigInt(v as number | bigint), true);
        break;
      case 'uint64':
        view.setBigUint64(at, toBigInt(v as number | bigint), true);
        break;
    }
  }
  return out;
}

export function tensorProto(name: string | undefined, t: TensorValue): Record<string, unknown> {
  const count = elementCount(t.dims);
  if (t.data.length !== count) {
    throw new Error(
      `tensor ${name ?? '<attr>'}: ${t.data.length} values for dims [${t.dims.join(',')}] (need ${count})`,
    );
  }
  const msg: Record<string, unknown> = {
    dims: t.dims.map((d) => int64Value(d)),
    data_type: ONNX_DATA_TYPE[t.elemType],
  };
  if (name !== undefined) msg.name = name;
  if (t.elemType === 'string') {
    // Strings cannot use raw_data; upstream requires string_data.
    msg.string_data = Array.from(t.data as readonly string[], (s) => Buffer.from(String(s), 'utf8'));
  } else {
    msg.raw_data = encodeRawData(t.elemType, t.data);
  }
  return msg;
}

export function typeProto(elemType: ElemType, shape: Shape | undefined): Record<string, unknown> {
  const tensorType: Record<string, unknown> = { elem_type: ONNX_DATA_TYPE[elemType] };
  // undefined = unknown rank (no shape field); [] = rank 0 (empty shape present).
  if (shape !== undefined) {
    tensorType.shape = {
      dim: shape.map((d) => {
        if (typeof d === 'string') {
          if (d.length === 0) throw new Error('symbolic dim name must not be empty');
          return { dim_param: d };
        }
        if (!Number.isInteger(d) || d < 0) throw new Error(`invalid dim ${d}`);
        return { dim_value: d };
      }),
    };
  }
  return { tensor_type: tensorType };
}

const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

export function attributeProto(name: string, a: AttributeValue): Record<string, unknown> {
  const msg: Record<string, unknown> = { name, type: ATTRIBUTE_TYPE[a.type] };
  switch (a.type) {
    case 'int':
      msg.i = int64Value(a.value);
      break;
    case 'float':
      msg.f = a.value;
      break;
    case 'ints':
      msg.ints = a.value.map(int64Value);
      break;
    case 'floats':
      msg.floats = [...a.value];
      break;
    case 'string':
      msg.s = Buffer.from(a.value, 'utf8');
      break;
    case 'tensor':
      msg.t = tensorProto(undefined, a.value);
      break;
  }
  return msg;
}
