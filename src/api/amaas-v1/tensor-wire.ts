/** amaas.v1 Tensor messages <-> decoded tensors, through the shared codec. */
import { DATA_TYPES, dataTypeFromWire, dataTypeToWire } from '../../codec/dtypes';
import { enumNumber } from '../direct-encoding';
import { InputTensor, Tensor, borrowRaw, decodeTyped, elementCount, encodeRaw, encodeTyped, parseShape } from '../../codec/tensor-codec';
import { AmaasError } from '../../errors';
import { excerpt, quoted, shapeText } from '../../errors-format';
import type { Int64, WireTensor } from './messages';

export type OutputEncoding = 'raw' | 'typed';

export function decodeWireTensor(wire: WireTensor, index: number): InputTensor {
  const name = wire.name;
  if (!name) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `input ${index} has no name`);
  const datatype = dataTypeFromWire(String(wire.datatype));
  if (!datatype) {
    throw new AmaasError(
      'AMAAS_ERR_INVALID_REQUEST',
      `tensor ${quoted(name)}: datatype ${excerpt(String(wire.datatype))} is not supported (set one of DATA_TYPE_FP32, DATA_TYPE_INT64, ...)`,
    );
  }
  const shape = parseShape(name, wire.shape);
  if (wire.contents === 'raw_contents') {
    return { name, datatype, shape, data: borrowRaw(name, datatype, shape, wire.raw_contents ?? new Uint8Array(0)) };
  }
  if (wire.contents === 'typed_contents') {
    return { name, datatype, shape, data: decodeTyped(name, datatype, shape, wire.typed_contents ?? {}) };
  }
  // No contents at all is only right for a tensor with no elements.
  if (elementCount(shape) !== 0) {
    throw new AmaasError(
      'AMAAS_ERR_CONTENT_SIZE_MISMATCH',
      `tensor ${quoted(name)}: no contents given, but shape ${shapeText(shape)} has ${elementCount(shape)} elements`,
    );
  }
  return { name, datatype, shape, data: decodeTyped(name, datatype, shape, {}) };
}

/** amaas.v1.DataType numbers by datatype name, read from the .proto once. */
let dataTypeNumbers: Map<string, number> | null = null;

function dataTypeNumber(t: Tensor): number {
  dataTypeNumbers ??= new Map(DATA_TYPES.map((d) => [d.name, enumNumber('amaas.v1.DataType', dataTypeToWire(d))]));
  return dataTypeNumbers.get(t.datatype.name)!;
}

/** The datatype goes out as its enum number: responses are encoded directly (direct-encoding.ts). */
export function encodeWireTensor(t: Tensor, encoding: OutputEncoding): WireTensor {
  const base = { name: t.name, datatype: dataTypeNumber(t), shape: t.shape as Int64[] };
  return encoding === 'raw' ? { ...base, raw_contents: encodeRaw(t) } : { ...base, typed_contents: encodeTyped(t) };
}

/** Parses a version field: 0 (default) or a positive integer. */
export function parseVersion(value: Int64 | undefined): number {
  const v = Number(value ?? 0);
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `model_version ${excerpt(String(value))} is not a valid version number`);
  }
  return v;
}
