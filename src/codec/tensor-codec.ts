/**
 * Tensor bytes <-> the arrays onnxruntime takes, for every protocol amaas speaks. Raw contents (the fast path)
 * cost exactly one copy, into a fresh aligned buffer that is then transferred to a worker; typed contents (the
 * convenient path) are converted element by element and range-checked, never silently truncated.
 */
import { AmaasError } from '../errors';
import { excerpt, quoted, shapeText } from '../errors-format';
import { DataTypeInfo, NumericArray, TensorData, TypedContentsField } from './dtypes';
import { fromFloat16Bits, toFloat16Bits } from './float16';

/** A decoded tensor: what the service layer, the scheduler and the workers pass around. */
export interface Tensor {
  readonly name: string;
  readonly datatype: DataTypeInfo;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

/**
 * The raw little-endian bytes of a numeric input, still inside the gRPC receive buffer (often unaligned).
 * The copy into an aligned buffer of its own is deferred to the scheduler, which makes it either alone
 * (ownInputData) or while concatenating a batch: one copy of the bytes on either path.
 */
export class BorrowedBytes {
  constructor(readonly bytes: Uint8Array) {}
}

/** Input data as it travels from the protocol handlers to the scheduler. */
export type InputData = TensorData | BorrowedBytes;

/** A request input: like Tensor, but raw numeric contents may still be borrowed. */
export interface InputTensor {
  readonly name: string;
  readonly datatype: DataTypeInfo;
  readonly shape: readonly number[];
  readonly data: InputData;
}

/** The typed contents message, shared by amaas.v1 and the Open Inference Protocol (same field names). */
export type TypedContents = Partial<Record<TypedContentsField, ArrayLike<unknown>>>;

/** Tensors above this many elements are refused before any allocation (a bogus shape must not OOM us). */
const MAX_ELEMENTS = 2 ** 31 - 1;

/** Parses a wire shape (int64 arrives as string or number) into safe non-negative integers. */
export function parseShape(tensorName: string, dims: ArrayLike<unknown>): number[] {
  const shape: number[] = new Array(dims.length);
  let count = 1;
  for (let i = 0; i < dims.length; i++) {
    const dim = integerValue(dims[i]);
    if (dim === null || !Number.isSafeInteger(dim) || dim < 0) {
      throw new AmaasError(
        'AMAAS_ERR_INVALID_REQUEST',
        `tensor ${quoted(tensorName)}: shape dimension ${i} is ${excerpt(String(dims[i]))}; dimensions must be non-negative integers`,
      );
    }
    shape[i] = dim;
    count *= dim;
  }
  if (count > MAX_ELEMENTS) {
    throw new AmaasError(
      'AMAAS_ERR_MESSAGE_TOO_LARGE',
      `tensor ${quoted(tensorName)}: shape ${shapeText(shape)} has ${count} elements, more than the limit of ${MAX_ELEMENTS}`,
    );
  }
  return shape;
}

/** A decimal integer as protobuf (int64 as string), JSON or a caller may give it; null for anything else. */
function integerValue(value: unknown): number | null {
  if (typeof value === 'number') return Number.isInteger(value) ? value : null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && /^-?[0-9]+$/.test(value)) return Number(value);
  return null;
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Raw little-endian bytes -> tensor data, copied into a fresh aligned buffer of its own (clients decoding
 * responses use this; the server borrows instead, see borrowRaw).
 */
export function decodeRaw(name: string, datatype: DataTypeInfo, shape: readonly number[], bytes: Uint8Array): TensorData {
  if (datatype.array === null) return decodeRawBytesElements(name, elementCount(shape), bytes);
  checkRawLength(name, datatype, shape, bytes);
  const buffer = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(buffer).set(bytes);
  return new datatype.array(buffer);
}

/**
 * The server's raw decode: checks the byte length against the shape and borrows numeric bytes without
 * copying them (see BorrowedBytes). BYTES elements are parsed into strings at once.
 */
export function borrowRaw(name: string, datatype: DataTypeInfo, shape: readonly number[], bytes: Uint8Array): InputData {
  if (datatype.array === null) return decodeRawBytesElements(name, elementCount(shape), bytes);
  checkRawLength(name, datatype, shape, bytes);
  return new BorrowedBytes(bytes);
}

/** Input data in a buffer of its own, ready to move to a worker; `copied` counts the bytes copied to get there. */
export function ownInputData(datatype: DataTypeInfo, data: InputData): { data: TensorData; copied: number } {
  if (!(data instanceof BorrowedBytes)) return { data, copied: 0 };
  const buffer = new ArrayBuffer(data.bytes.byteLength);
  new Uint8Array(buffer).set(data.bytes);
  return { data: new datatype.array!(buffer), copied: data.bytes.byteLength };
}

/** Bytes of numeric input data, wherever they live. */
export function inputBytes(data: NumericArray | BorrowedBytes): Uint8Array {
  return data instanceof BorrowedBytes ? data.bytes : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function checkRawLength(name: string, datatype: DataTypeInfo, shape: readonly number[], bytes: Uint8Array): void {
  const count = elementCount(shape);
  const expected = count * datatype.itemSize;
  if (bytes.byteLength !== expected) {
    throw new AmaasError(
      'AMAAS_ERR_CONTENT_SIZE_MISMATCH',
      `tensor ${quoted(name)}: raw contents have ${bytes.byteLength} bytes, but shape ${shapeText(shape)} of ${datatype.name} needs ${expected} (${count} x ${datatype.itemSize})`,
    );
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(name: string, bytes: Uint8Array, index: number): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new AmaasError(
      'AMAAS_ERR_INVALID_REQUEST',
      `tensor ${quoted(name)}: BYTES element ${index} is not valid UTF-8 (onnxruntime string tensors hold text)`,
    );
  }
}

/** BYTES in raw form: each element is a 4-byte little-endian length followed by that many bytes. */
function decodeRawBytesElements(name: string, count: number, bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: string[] = new Array(count);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    if (offset + 4 > bytes.byteLength) {
      throw new AmaasError(
        'AMAAS_ERR_CONTENT_SIZE_MISMATCH',
        `tensor ${quoted(name)}: raw BYTES contents end after ${i} of ${count} elements`,
      );
    }
    const length = view.getUint32(offset, true);
    offset += 4;
    if (offset + length > bytes.byteLength) {
      throw new AmaasError(
        'AMAAS_ERR_CONTENT_SIZE_MISMATCH',
        `tensor ${quoted(name)}: raw BYTES element ${i} claims ${length} bytes but only ${bytes.byteLength - offset} remain`,
      );
    }
    out[i] = decodeUtf8(name, bytes.subarray(offset, offset + length), i);
    offset += length;
  }
  if (offset !== bytes.byteLength) {
    throw new AmaasError(
      'AMAAS_ERR_CONTENT_SIZE_MISMATCH',
      `tensor ${quoted(name)}: raw BYTES contents have ${bytes.byteLength - offset} bytes left over after ${count} elements`,
    );
  }
  return out;
}

const INTEGER_RANGES: Record<string, readonly [number, number]> = {
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
};

/** Typed contents -> tensor data, checking the field matches the datatype and the count matches the shape. */
export function decodeTyped(
  name: string,
  datatype: DataTypeInfo,
  shape: readonly number[],
  contents: TypedContents,
): TensorData {
  for (const [field, values] of Object.entries(contents)) {
    if (field !== datatype.typedField && values !== undefined && values.length > 0) {
      throw new AmaasError(
        'AMAAS_ERR_DATATYPE_MISMATCH',
        `tensor ${quoted(name)}: datatype ${datatype.name} is carried in ${datatype.typedField}, but ${field} was set`,
      );
    }
  }
  const values = contents[datatype.typedField] ?? [];
  const count = elementCount(shape);
  if (values.length !== count) {
    throw new AmaasError(
      'AMAAS_ERR_CONTENT_SIZE_MISMATCH',
      `tensor ${quoted(name)}: ${datatype.typedField} has ${values.length} elements, but shape ${shapeText(shape)} needs ${count}`,
    );
  }
  switch (datatype.name) {
    case 'BYTES':
      return Array.from(values as ArrayLike<unknown>, (v, i) => {
        if (typeof v === 'string') return v;
        if (v instanceof Uint8Array) return decodeUtf8(name, v, i);
        throw notA(name, i, v, 'a string');
      });
    case 'BOOL':
      return Uint8Array.from(values as ArrayLike<unknown>, (v, i) => {
        if (typeof v !== 'boolean') throw notA(name, i, v, 'a boolean');
        return v ? 1 : 0;
      });
    case 'FP16':
      return Uint16Array.from(values as ArrayLike<unknown>, (v, i) => toFloat16Bits(floatValue(name, v, i)));
    case 'FP32':
      return Float32Array.from(values as ArrayLike<unknown>, (v, i) => floatValue(name, v, i));
    case 'FP64':
      return Float64Array.from(values as ArrayLike<unknown>, (v, i) => floatValue(name, v, i));
    case 'INT64':
      return BigInt64Array.from(values as ArrayLike<unknown>, (v, i) => toBigInt(name, v, i, -(2n ** 63n), 2n ** 63n - 1n));
    case 'UINT64':
      return BigUint64Array.from(values as ArrayLike<unknown>, (v, i) => toBigInt(name, v, i, 0n, 2n ** 64n - 1n));
    default: {
      const [min, max] = INTEGER_RANGES[datatype.name];
      const out = new datatype.array!(count);
      for (let i = 0; i < count; i++) {
        const v = values[i];
        // A bigint (an integer JSON could not give as a number) is range-checked like a number.
        if (typeof v !== 'bigint' && (typeof v !== 'number' || !Number.isInteger(v))) throw notA(name, i, v, 'an integer');
        if (v < min || v > max) {
          throw new AmaasError(
            'AMAAS_ERR_INVALID_REQUEST',
            `tensor ${quoted(name)}: element ${i} (${excerpt(String(v))}) is out of range for ${datatype.name} [${min}, ${max}]`,
          );
        }
        out[i] = typeof v === 'bigint' ? Number(v) : v;
      }
      return out;
    }
  }
}

function notA(name: string, index: number, value: unknown, kind: string): AmaasError {
  const shown = typeof value === 'bigint' || isLongLike(value) ? String(value) : (JSON.stringify(value) ?? String(value));
  return new AmaasError('AMAAS_ERR_INVALID_REQUEST', `tensor ${quoted(name)}: element ${index} (${excerpt(shown)}) is not ${kind}`);
}

/** protobufjs hands out Long objects when a caller's loader does not ask for strings. */
function isLongLike(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'low' in value && 'high' in value;
}

function floatValue(name: string, value: unknown, index: number): number {
  // A bigint is an integer literal beyond 2^53 (json-text.ts): rounded to the nearest double, as JSON.parse would.
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'number') throw notA(name, index, value, 'a number');
  return value;
}

function toBigInt(name: string, value: unknown, index: number, min: bigint, max: bigint): bigint {
  // 64-bit integers arrive as bigints (JSON integer literals beyond 2^53, json-text.ts), decimal strings (protobuf
  // with longs: String) or safe-integer numbers. A number that is not a safe integer (1e20, 2.5) is not exact.
  let v: bigint;
  if (typeof value === 'bigint') v = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) v = BigInt(value);
  else if ((typeof value === 'string' || isLongLike(value)) && /^-?[0-9]+$/.test(String(value))) v = BigInt(String(value));
  else throw notA(name, index, value, 'an integer (write it as an integer literal or a decimal string: exponent or fraction notation is not exact)');
  if (v < min || v > max) {
    throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `tensor ${quoted(name)}: element ${index} (${excerpt(String(v))}) is out of range`);
  }
  return v;
}

/** Tensor data -> raw little-endian bytes. Numeric data is viewed, not copied. */
export function encodeRaw(tensor: Tensor): Buffer {
  const { data } = tensor;
  if (Array.isArray(data)) {
    const parts = data.map((s) => Buffer.from(s, 'utf8'));
    const out = Buffer.allocUnsafe(parts.reduce((n, p) => n + 4 + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      out.writeUInt32LE(p.length, offset);
      p.copy(out, offset + 4);
      offset += 4 + p.length;
    }
    return out;
  }
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Tensor data -> typed contents (one field set, the one the datatype's table row names). */
export function encodeTyped(tensor: Tensor): TypedContents {
  const { datatype, data } = tensor;
  let values: ArrayLike<unknown>;
  if (Array.isArray(data)) {
    values = data.map((s) => Buffer.from(s, 'utf8'));
  } else if (datatype.name === 'BOOL') {
    values = Array.from(data as Uint8Array, (v) => v !== 0);
  } else if (datatype.name === 'FP16') {
    values = Array.from(data as Uint16Array, fromFloat16Bits);
  } else if (isBigIntArray(data)) {
    // protobufjs takes 64-bit integers as decimal strings without losing precision.
    values = Array.from(data as ArrayLike<bigint>, (v) => v.toString());
  } else {
    // protobufjs takes repeated fields only as plain arrays.
    values = Array.from(data as ArrayLike<number>);
  }
  return { [datatype.typedField]: values };
}

/** Arrays made by onnxruntime's native code come from another realm, so instanceof alone is not enough. */
function isBigIntArray(data: NumericArray): boolean {
  const tag = Object.prototype.toString.call(data);
  return tag === '[object BigInt64Array]' || tag === '[object BigUint64Array]';
}
