/**
 * JSON <-> tensors, for people and the HTTP binding: data may be flat (row-major, with an explicit shape)
 * or nested arrays (shape inferred). Conversion goes through the typed-contents path, so the same range
 * checks apply and nothing is silently truncated. 64-bit integers may be numbers, bigints (what parseJson in
 * json-text.ts gives for integers beyond 2^53) or decimal strings.
 */
import { DataTypeInfo } from './dtypes';
import { fromFloat16Bits } from './float16';
import { AmaasError } from '../errors';
import { quoted, shapeText } from '../errors-format';
import { Tensor, decodeTyped, elementCount } from './tensor-codec';

/** Flattens nested arrays row-major and infers their shape; ragged nesting is an error. */
export function flattenNested(name: string, value: unknown): { shape: number[]; values: unknown[] } {
  const shape: number[] = [];
  let probe = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const values: unknown[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) throw ragged(name);
      values.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) throw ragged(name);
    for (const item of v) walk(item, depth + 1);
  };
  walk(value, 0);
  return { shape, values };
}

function ragged(name: string): AmaasError {
  return new AmaasError('AMAAS_ERR_SHAPE_MISMATCH', `tensor ${quoted(name)}: nested data is ragged (rows of different lengths)`);
}

/**
 * Builds a tensor from JSON data. With `shape`, `data` may be flat or nested (its element count must match);
 * without it, `data` must be nested arrays (or a single value, for a scalar) and gives the shape.
 */
export function tensorFromJson(name: string, datatype: DataTypeInfo, data: unknown, shape?: readonly number[]): Tensor {
  const nested = flattenNested(name, data);
  const finalShape = shape ? [...shape] : nested.shape;
  if (shape && nested.values.length !== elementCount(finalShape)) {
    throw new AmaasError(
      'AMAAS_ERR_CONTENT_SIZE_MISMATCH',
      `tensor ${quoted(name)}: data has ${nested.values.length} elements, but shape ${shapeText(finalShape)} needs ${elementCount(finalShape)}`,
    );
  }
  return {
    name,
    datatype,
    shape: finalShape,
    data: decodeTyped(name, datatype, finalShape, { [datatype.typedField]: nested.values }),
  };
}

/**
 * Flat JSON values of a tensor: numbers, booleans or strings; INT64 and UINT64 as bigints, which
 * stringifyJson (json-text.ts) writes as exact JSON integers.
 */
export function tensorJsonValues(t: Tensor): unknown[] {
  const { data, datatype } = t;
  if (Array.isArray(data)) return data;
  switch (datatype.name) {
    case 'BOOL':
      return Array.from(data as Uint8Array, (v) => v !== 0);
    case 'FP16':
      return Array.from(data as Uint16Array, fromFloat16Bits);
    case 'INT64':
    case 'UINT64':
      return Array.from(data as ArrayLike<bigint>);
    default:
      return Array.from(data as ArrayLike<number>);
  }
}
