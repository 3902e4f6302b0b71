/**
 * The values of an initializer as typed arrays, whichever field holds them (raw_data or the typed fields),
 * and new initializers written as raw_data. ONNX raw_data is little-endian; so are the hosts amaas runs on
 * (x64, arm64), which the module checks once rather than byte-swapping on every read.
 */
import { fromFloat16Bits, toFloat16Bits } from '../codec/float16';
import { DataType, Int64, TensorProto, int64ToNumber } from './onnx-model';

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('src/artifacts needs a little-endian host');

export type QuantArray = Int8Array | Uint8Array | Int32Array;

export function tensorDims(t: TensorProto): number[] {
  return (t.dims ?? []).map((d: Int64) => int64ToNumber(d));
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Whether the tensor's values live in another file (ONNX external data), which these tools do not rewrite. */
export function isExternal(t: TensorProto): boolean {
  return t.data_location === 1 || (t.external_data?.length ?? 0) > 0;
}

/** raw_data copied to an aligned buffer (protobufjs hands back views into the model's bytes). */
function rawCopy(t: TensorProto): ArrayBuffer {
  const raw = t.raw_data!;
  const copy = new Uint8Array(raw.length);
  copy.set(raw);
  return copy.buffer;
}

/** A float tensor (FLOAT, FLOAT16 or DOUBLE) as float32 values. */
export function floatValues(t: TensorProto): Float32Array {
  if (isExternal(t)) throw new Error(`tensor '${t.name}' keeps its data in an external file, which this tool does not read`);
  const count = elementCount(tensorDims(t));
  const hasRaw = t.raw_data !== undefined && t.raw_data.length > 0;
  switch (t.data_type) {
    case DataType.FLOAT:
      return hasRaw ? new Float32Array(rawCopy(t)) : Float32Array.from(t.float_data ?? new Array<number>(count).fill(0));
    case DataType.DOUBLE:
      return Float32Array.from(hasRaw ? new Float64Array(rawCopy(t)) : (t.double_data ?? []));
    case DataType.FLOAT16: {
      // Typed storage keeps each half's bits in the low 16 bits of an int32_data entry.
      const bits = hasRaw ? new Uint16Array(rawCopy(t)) : Uint16Array.from(t.int32_data ?? []);
      const out = new Float32Array(bits.length);
      for (let i = 0; i < bits.length; i++) out[i] = fromFloat16Bits(bits[i]);
      return out;
    }
    default:
      throw new Error(`tensor '${t.name}' has data type ${t.data_type}, not a float type`);
  }
}

/** An integer tensor (INT64 or INT32) as numbers: shapes, axes and the like. */
export function integerValues(t: TensorProto): number[] {
  const hasRaw = t.raw_data !== undefined && t.raw_data.length > 0;
  if (t.data_type === DataType.INT64) {
    return hasRaw ? Array.from(new BigInt64Array(rawCopy(t)), (v) => Number(v)) : (t.int64_data ?? []).map((v) => int64ToNumber(v));
  }
  if (t.data_type === DataType.INT32) return hasRaw ? Array.from(new Int32Array(rawCopy(t))) : [...(t.int32_data ?? [])];
  throw new Error(`tensor '${t.name}' has data type ${t.data_type}, not an integer type`);
}

type RawArray = Float32Array | Int8Array | Uint8Array | Int32Array | Uint16Array | BigInt64Array;

/** A new initializer holding `values` as raw_data. */
export function makeTensor(name: string, dataType: number, dims: readonly number[], values: RawArray): TensorProto {
  if (elementCount(dims) !== values.length) throw new Error(`tensor '${name}': ${values.length} values for shape [${dims.join(', ')}]`);
  const raw = new Uint8Array(values.byteLength);
  raw.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return { name, data_type: dataType, dims: [...dims], raw_data: raw };
}

export function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): TensorProto {
  return makeTensor(name, DataType.FLOAT, dims, Float32Array.from(values));
}

export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): TensorProto {
  return makeTensor(name, DataType.INT64, dims, BigInt64Array.from(values, (v) => BigInt(v)));
}

/** Largest finite float16 magnitude. */
export const FLOAT16_MAX = 65504;
/** Smallest positive float16 (subnormal); smaller non-zero magnitudes would flush to zero. */
export const FLOAT16_MIN_POSITIVE = 2 ** -24;

/**
 * float32 values to float16 bits, clamped to the float16 range: magnitudes past FLOAT16_MAX become
 * ±FLOAT16_MAX (not infinity) and non-zero magnitudes under FLOAT16_MIN_POSITIVE become ±FLOAT16_MIN_POSITIVE
 * (not zero), so a weight never turns into inf or vanishes. Returns the bits and how many values were clamped.
 */
export function toFloat16Clamped(values: Float32Array): { bits: Uint16Array; clamped: number } {
  const bits = new Uint16Array(values.length);
  let clamped = 0;
  for (let i = 0; i < values.length; i++) {
    let v = values[i];
    const a = Math.abs(v);
    if (a > FLOAT16_MAX && Number.isFinite(v)) {
      v = Math.sign(v) * FLOAT16_MAX;
      clamped++;
    } else if (a !== 0 && a < FLOAT16_MIN_POSITIVE) {
      v = Math.sign(v) * FLOAT16_MIN_POSITIVE;
      clamped++;
    }
    bits[i] = toFloat16Bits(v);
  }
  return { bits, clamped };
}
