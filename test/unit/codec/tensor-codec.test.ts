import { DataTypeName, NumericArray, dataTypeByName } from '../../../src/codec/dtypes';
import {
  Tensor,
  TypedContents,
  decodeRaw,
  decodeTyped,
  elementCount,
  encodeRaw,
  encodeTyped,
  parseShape,
} from '../../../src/codec/tensor-codec';
import { expectAmaasError } from '../../helpers/expect-amaas-error';

const dt = (name: DataTypeName) => dataTypeByName(name)!;


const expectCode = expectAmaasError;

/** Copies `bytes` into a fresh Buffer at an odd byte offset, so the view is misaligned for every width > 1. */
function unaligned(bytes: Uint8Array): Buffer {
  const backing = Buffer.alloc(bytes.byteLength + 3, 0xee);
  backing.set(bytes, 1);
  const view = backing.subarray(1, 1 + bytes.byteLength);
  expect(view.byteOffset % 2).toBe(1);
  return view;
}

const asBytes = (a: NumericArray) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe('parseShape', () => {
  it('accepts numbers and decimal strings', () => {
    expect(parseShape('x', [2, '3', 4])).toEqual([2, 3, 4]);
  });

  it('accepts [] (scalar) and zero dimensions', () => {
    expect(parseShape('x', [])).toEqual([]);
    expect(parseShape('x', [0])).toEqual([0]);
    expect(parseShape('x', [3, 0, 5])).toEqual([3, 0, 5]);
  });

  it.each([[[-1]], [[2, -3]], [['-1']]])('rejects negative dimensions %p', (dims) => {
    expectCode(() => parseShape('in0', dims), 'AMAAS_ERR_INVALID_REQUEST', "'in0'");
  });

  it.each([[[1.5]], [['2.5']], [[Number.NaN]], [[Infinity]]])('rejects fractional or non-finite dimensions %p', (dims) => {
    expectCode(() => parseShape('in0', dims), 'AMAAS_ERR_INVALID_REQUEST', "'in0'");
  });

  it.each([[['abc']], [['3x']], [[{}]], [[undefined]]])('rejects non-numeric dimensions %p', (dims) => {
    expectCode(() => parseShape('in0', dims), 'AMAAS_ERR_INVALID_REQUEST', "'in0'");
  });

  it('names the offending dimension index', () => {
    expectCode(() => parseShape('in0', [1, 2, -7]), 'AMAAS_ERR_INVALID_REQUEST', 'dimension 2', '-7');
  });

  it('rejects dimensions beyond the safe integer range', () => {
    expectCode(() => parseShape('x', ['9223372036854775807']), 'AMAAS_ERR_INVALID_REQUEST');
  });

  it('rejects element counts over the limit with AMAAS_ERR_MESSAGE_TOO_LARGE', () => {
    expectCode(() => parseShape('big', [2 ** 31]), 'AMAAS_ERR_MESSAGE_TOO_LARGE', "'big'");
    expectCode(() => parseShape('big', [65536, 65536]), 'AMAAS_ERR_MESSAGE_TOO_LARGE');
    expectCode(() => parseShape('big', ['4294967296', '4294967296']), 'AMAAS_ERR_MESSAGE_TOO_LARGE');
    expect(parseShape('ok', [2 ** 31 - 1])).toEqual([2 ** 31 - 1]);
    // A zero dimension makes the tensor empty however large the others are.
    expect(parseShape('ok', [2 ** 40, 0])).toEqual([2 ** 40, 0]);
  });
});

describe('elementCount', () => {
  it('multiplies dimensions; [] is one element', () => {
    expect(elementCount([])).toBe(1);
    expect(elementCount([2, 3, 4])).toBe(24);
    expect(elementCount([5, 0])).toBe(0);
  });
});

describe('decodeRaw (numeric)', () => {
  const cases: Array<[DataTypeName, NumericArray]> = [
    ['BOOL', Uint8Array.from([1, 0, 1])],
    ['UINT8', Uint8Array.from([0, 1, 255])],
    ['UINT16', Uint16Array.from([0, 1, 65535])],
    ['UINT32', Uint32Array.from([0, 1, 4294967295])],
    ['UINT64', BigUint64Array.from([0n, 1n, 2n ** 64n - 1n])],
    ['INT8', Int8Array.from([-128, 0, 127])],
    ['INT16', Int16Array.from([-32768, 0, 32767])],
    ['INT32', Int32Array.from([-2147483648, 0, 2147483647])],
    ['INT64', BigInt64Array.from([-(2n ** 63n), 0n, 2n ** 63n - 1n])],
    ['FP16', Uint16Array.from([0x3c00, 0xc000, 0x7bff])],
    ['FP32', Float32Array.from([1.5, -2.25, 3.4028234663852886e38])],
    ['FP64', Float64Array.from([Math.PI, -0.1, Number.MAX_VALUE])],
  ];

  it.each(cases)('decodes %s from an unaligned view into an aligned array of its own', (name, values) => {
    const info = dt(name);
    const source = unaligned(asBytes(values));
    const out = decodeRaw('t', info, [values.length], source) as NumericArray;
    expect(Object.prototype.toString.call(out)).toBe(Object.prototype.toString.call(values));
    expect(out.length).toBe(values.length);
    expect(Array.from(out as ArrayLike<number | bigint>)).toEqual(Array.from(values as ArrayLike<number | bigint>));
    expect(out.byteOffset).toBe(0);
    expect(out.buffer).not.toBe(source.buffer);
    expect(out.buffer.byteLength).toBe(values.byteLength);
    // Writing to the source afterwards does not change the decoded data.
    source.fill(0);
    expect(Array.from(out as ArrayLike<number | bigint>)).toEqual(Array.from(values as ArrayLike<number | bigint>));
  });

  it('decodes with a multi-dimensional shape', () => {
    const values = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const out = decodeRaw('t', dt('FP32'), [2, 3], unaligned(asBytes(values)));
    expect(Array.from(out as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('decodes an empty tensor from zero bytes', () => {
    const out = decodeRaw('t', dt('FP32'), [0, 3], new Uint8Array(0)) as Float32Array;
    expect(out.length).toBe(0);
  });

  it('reads little-endian bytes', () => {
    const out = decodeRaw('t', dt('UINT32'), [1], Uint8Array.from([0x01, 0x02, 0x03, 0x04])) as Uint32Array;
    expect(out[0]).toBe(0x04030201);
  });

  it.each([
    ['FP32', [2, 2], 15],
    ['FP32', [2, 2], 17],
    ['INT64', [3], 16],
    ['UINT8', [4], 0],
    ['FP16', [], 4],
  ] as Array<[DataTypeName, number[], number]>)('rejects %s shape %p with %p bytes', (name, shape, n) => {
    expectCode(() => decodeRaw('in0', dt(name), shape, new Uint8Array(n)), 'AMAAS_ERR_CONTENT_SIZE_MISMATCH', "'in0'", String(n));
  });
});

/** Builds raw BYTES contents: a 4-byte little-endian length before each element. */
function lengthPrefixed(...elements: Uint8Array[]): Buffer {
  return Buffer.concat(
    elements.flatMap((e) => {
      const len = Buffer.alloc(4);
      len.writeUInt32LE(e.length, 0);
      return [len, Buffer.from(e)];
    }),
  );
}
const utf8 = (s: string) => Buffer.from(s, 'utf8');

describe('decodeRaw (BYTES)', () => {
  const BYTES = dt('BYTES');

  it('parses length-prefixed UTF-8 elements, also from an unaligned view', () => {
    const raw = lengthPrefixed(utf8('hello'), utf8(''), utf8('héllo wörld ✓'));
    expect(decodeRaw('s', BYTES, [3], raw)).toEqual(['hello', '', 'héllo wörld ✓']);
    expect(decodeRaw('s', BYTES, [1, 3], unaligned(raw))).toEqual(['hello', '', 'héllo wörld ✓']);
  });

  it('decodes an empty tensor from zero bytes', () => {
    expect(decodeRaw('s', BYTES, [0], new Uint8Array(0))).toEqual([]);
  });

  it('rejects a truncated length prefix', () => {
    const raw = Buffer.concat([lengthPrefixed(utf8('ab')), Buffer.from([1, 0])]);
    expectCode(() => decodeRaw('s', BYTES, [2], raw), 'AMAAS_ERR_CONTENT_SIZE_MISMATCH', "'s'");
  });

  it('rejects contents with fewer elements than the shape needs', () => {
    expectCode(() => decodeRaw('s', BYTES, [3], lengthPrefixed(utf8('a'), utf8('b'))), 'AMAAS_ERR_CONTENT_SIZE_MISMATCH', "'s'");
  });

  it('rejects a length that overruns the contents', () => {
    const raw = Buffer.concat([Buffer.from([10, 0, 0, 0]), utf8('abc')]);
    expectCode(() => decodeRaw('s', BYTES, [1], raw), 'AMAAS_ERR_CONTENT_SIZE_MISMATCH', "'s'", '10');
    // A huge length must not wrap around.
    const huge = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff]), utf8('abc')]);
    expectCode(() => decodeRaw('s', BYTES, [1], huge), 'AMAAS_ERR_CONTENT_SIZE_MISMATCH');
  });

  it('rejects trailing bytes after the last element', () => {
    const raw = Buffer.concat([lengthPrefixed(utf8('a')), Buffer.from([0])]);
    expectCode(() => decodeRaw('s', BYTES, [1], raw), 'AMAAS_ERR_CONTENT_SIZE_MISMATCH', "'s'");
    expectCode(() => decodeRaw('s', BYTES, [0], Buffer.from([0, 0, 0, 0])), 'AMAAS_ERR_CONTENT_SIZE_MISMATCH');
  });

  it('rejects invalid UTF-8 with AMAAS_ERR_INVALID_REQUEST naming the element', () => {
    const raw = lengthPrefixed(utf8('ok'), Uint8Array.from([0xc3, 0x28]));
    expectCode(() => decodeRaw('s', BYTES, [2], raw), 'AMAAS_ERR_INVALID_REQUEST', "'s'", 'element 1', 'UTF-8');
  });
});

describe('decodeTyped', () => {
  it('rejects values in a field that does not carry the datatype', () => {
    expectCode(
      () => decodeTyped('in0', dt('FP32'), [2], { int_contents: [1, 2] }),
      'AMAAS_ERR_DATATYPE_MISMATCH',
      "'in0'",
      'fp32_contents',
      'int_contents',
    );
    expectCode(() => decodeTyped('x', dt('INT64'), [1], { int64_contents: ['1'], fp64_contents: [1] }), 'AMAAS_ERR_DATATYPE_MISMATCH');
    expectCode(() => decodeTyped('x', dt('UINT8'), [1], { int_contents: [1] }), 'AMAAS_ERR_DATATYPE_MISMATCH');
  });

  it('ignores other fields that are present but empty', () => {
    const out = decodeTyped('x', dt('FP32'), [2], { fp32_contents: [1, 2], int_contents: [], bytes_contents: [] });
    expect(Array.from(out as Float32Array)).toEqual([1, 2]);
  });

  it('rejects a count that does not match the shape', () => {
    expectCode(() => decodeTyped('in0', dt('FP32'), [2, 2], { fp32_contents: [1, 2, 3] }), 'AMAAS_ERR_CONTENT_SIZE_MISMATCH', "'in0'", '3', '4');
    expectCode(() => decodeTyped('in0', dt('FP32'), [1], {}), 'AMAAS_ERR_CONTENT_SIZE_MISMATCH');
    expectCode(() => decodeTyped('in0', dt('INT32'), [], { int_contents: [1, 2] }), 'AMAAS_ERR_CONTENT_SIZE_MISMATCH');
  });

  it('decodes an empty tensor from no contents', () => {
    expect((decodeTyped('x', dt('FP32'), [0], {}) as Float32Array).length).toBe(0);
  });

  it.each([
    ['INT8', [-128, 0, 127]],
    ['INT16', [-32768, 0, 32767]],
    ['INT32', [-2147483648, 0, 2147483647]],
    ['UINT8', [0, 1, 255]],
    ['UINT16', [0, 1, 65535]],
    ['UINT32', [0, 1, 4294967295]],
  ] as Array<[DataTypeName, number[]]>)('decodes %s values at both ends of the range', (name, values) => {
    const info = dt(name);
    const out = decodeTyped('x', info, [values.length], { [info.typedField]: values }) as NumericArray;
    expect(Object.prototype.toString.call(out)).toBe(`[object ${info.array!.name}]`);
    expect(Array.from(out as ArrayLike<number>)).toEqual(values);
  });

  it.each([
    ['INT8', 128],
    ['INT8', -129],
    ['INT16', 32768],
    ['INT16', -32769],
    ['INT32', 2147483648],
    ['UINT8', 256],
    ['UINT8', -1],
    ['UINT16', 65536],
    ['UINT32', 4294967296],
    ['UINT32', -1],
  ] as Array<[DataTypeName, number]>)('rejects %s value %p (no silent truncation)', (name, value) => {
    const info = dt(name);
    expectCode(
      () => decodeTyped('in0', info, [2], { [info.typedField]: [0, value] }),
      'AMAAS_ERR_INVALID_REQUEST',
      "'in0'",
      'element 1',
      String(value),
    );
  });

  it.each(['INT8', 'UINT8', 'INT16', 'UINT32', 'INT32'] as DataTypeName[])('rejects non-integer %s values', (name) => {
    const info = dt(name);
    for (const bad of [1.5, NaN, Infinity, 'abc']) {
      expectCode(() => decodeTyped('in0', info, [1], { [info.typedField]: [bad] }), 'AMAAS_ERR_INVALID_REQUEST', "'in0'");
    }
  });

  it('decodes INT64 from decimal strings beyond 2^53 exactly', () => {
    const values = ['9007199254740993', '-9223372036854775808', '9223372036854775807', '0'];
    const out = decodeTyped('x', dt('INT64'), [4], { int64_contents: values }) as BigInt64Array;
    expect(Object.prototype.toString.call(out)).toBe('[object BigInt64Array]');
    expect(Array.from(out)).toEqual([9007199254740993n, -(2n ** 63n), 2n ** 63n - 1n, 0n]);
  });

  it('decodes INT64 from numbers and Long-like objects', () => {
    // Shaped like protobufjs's Long (low/high words), which is what a loader without longs: String produces.
    const longLike = { low: 0, high: 0, toString: () => '12345678901234567' };
    const out = decodeTyped('x', dt('INT64'), [3], { int64_contents: [-5, 7, longLike] }) as BigInt64Array;
    expect(Array.from(out)).toEqual([-5n, 7n, 12345678901234567n]);
  });

  it('decodes UINT64 from decimal strings beyond 2^53 exactly', () => {
    const out = decodeTyped('x', dt('UINT64'), [2], { uint64_contents: ['18446744073709551615', '9007199254740993'] }) as BigUint64Array;
    expect(Array.from(out)).toEqual([2n ** 64n - 1n, 9007199254740993n]);
  });

  it('rejects 64-bit values out of range or not integers', () => {
    expectCode(() => decodeTyped('in0', dt('INT64'), [1], { int64_contents: ['9223372036854775808'] }), 'AMAAS_ERR_INVALID_REQUEST', "'in0'");
    expectCode(() => decodeTyped('in0', dt('INT64'), [1], { int64_contents: ['-9223372036854775809'] }), 'AMAAS_ERR_INVALID_REQUEST');
    expectCode(() => decodeTyped('in0', dt('UINT64'), [1], { uint64_contents: ['-1'] }), 'AMAAS_ERR_INVALID_REQUEST');
    expectCode(() => decodeTyped('in0', dt('UINT64'), [1], { uint64_contents: ['18446744073709551616'] }), 'AMAAS_ERR_INVALID_REQUEST');
    expectCode(() => decodeTyped('in0', dt('INT64'), [1], { int64_contents: ['1.5'] }), 'AMAAS_ERR_INVALID_REQUEST', 'not an integer');
    expectCode(() => decodeTyped('in0', dt('INT64'), [1], { int64_contents: [1.5] }), 'AMAAS_ERR_INVALID_REQUEST', 'not an integer');
    expectCode(() => decodeTyped('in0', dt('INT64'), [1], { int64_contents: ['abc'] }), 'AMAAS_ERR_INVALID_REQUEST');
  });

  it('decodes BOOL to one byte per element', () => {
    const out = decodeTyped('x', dt('BOOL'), [4], { bool_contents: [true, false, true, false] }) as Uint8Array;
    expect(Object.prototype.toString.call(out)).toBe('[object Uint8Array]');
    expect(Array.from(out)).toEqual([1, 0, 1, 0]);
  });

  it('decodes FP16 from fp32 values into half-precision bits', () => {
    const out = decodeTyped('x', dt('FP16'), [4], { fp32_contents: [1, -2, 65504, 1e6] }) as Uint16Array;
    expect(Object.prototype.toString.call(out)).toBe('[object Uint16Array]');
    expect(Array.from(out)).toEqual([0x3c00, 0xc000, 0x7bff, 0x7c00]);
  });

  it('decodes FP32 and FP64', () => {
    expect(Array.from(decodeTyped('x', dt('FP32'), [2], { fp32_contents: [0.5, -1] }) as Float32Array)).toEqual([0.5, -1]);
    expect(Array.from(decodeTyped('x', dt('FP64'), [2], { fp64_contents: [0.1, -1e300] }) as Float64Array)).toEqual([0.1, -1e300]);
  });

  it('decodes BYTES from Uint8Arrays and strings, and rejects invalid UTF-8', () => {
    expect(decodeTyped('x', dt('BYTES'), [2], { bytes_contents: [utf8('héllo'), 'plain'] })).toEqual(['héllo', 'plain']);
    expectCode(
      () => decodeTyped('in0', dt('BYTES'), [2], { bytes_contents: [utf8('ok'), Uint8Array.from([0xff])] }),
      'AMAAS_ERR_INVALID_REQUEST',
      "'in0'",
      'element 1',
    );
  });
});

describe('encodeRaw', () => {
  it.each([
    ['FP32', Float32Array.from([1, 2, 3])],
    ['INT64', BigInt64Array.from([1n, -2n])],
    ['UINT8', Uint8Array.from([1, 2])],
    ['FP16', Uint16Array.from([0x3c00])],
  ] as Array<[DataTypeName, NumericArray]>)('views %s data without copying', (name, data) => {
    const tensor: Tensor = { name: 't', datatype: dt(name), shape: [data.length], data };
    const out = encodeRaw(tensor);
    expect(out.buffer).toBe(data.buffer);
    expect(out.byteOffset).toBe(data.byteOffset);
    expect(out.byteLength).toBe(data.byteLength);
  });

  it('views a subarray at its own offset', () => {
    const whole = Float32Array.from([9, 1, 2, 9]);
    const data = whole.subarray(1, 3);
    const out = encodeRaw({ name: 't', datatype: dt('FP32'), shape: [2], data });
    expect(out.buffer).toBe(whole.buffer);
    expect(out.byteOffset).toBe(4);
    expect(out.byteLength).toBe(8);
  });

  it('round-trips numeric data through decodeRaw', () => {
    const data = Float64Array.from([1.25, -3.5]);
    const out = decodeRaw('t', dt('FP64'), [2], encodeRaw({ name: 't', datatype: dt('FP64'), shape: [2], data }));
    expect(Array.from(out as Float64Array)).toEqual([1.25, -3.5]);
  });

  it('writes BYTES length-prefixed, and round-trips through decodeRaw', () => {
    const data = ['a', '', 'wörld'];
    const out = encodeRaw({ name: 's', datatype: dt('BYTES'), shape: [3], data });
    expect(Buffer.compare(out, lengthPrefixed(utf8('a'), utf8(''), utf8('wörld')))).toBe(0);
    expect(decodeRaw('s', dt('BYTES'), [3], out)).toEqual(data);
  });
});

describe('encodeTyped', () => {
  const tensor = (name: DataTypeName, data: Tensor['data']): Tensor => ({ name: 't', datatype: dt(name), shape: [data.length], data });

  it('sets only the datatype field, as a plain array', () => {
    const out = encodeTyped(tensor('FP32', Float32Array.from([1.5, 2])));
    expect(Object.keys(out)).toEqual(['fp32_contents']);
    expect(Array.isArray(out.fp32_contents)).toBe(true);
    expect(out.fp32_contents).toEqual([1.5, 2]);
  });

  it.each([
    ['INT8', Int8Array.from([-1, 2]), 'int_contents'],
    ['UINT16', Uint16Array.from([65535, 0]), 'uint_contents'],
    ['INT32', Int32Array.from([-7, 7]), 'int_contents'],
    ['FP64', Float64Array.from([0.1, 2]), 'fp64_contents'],
  ] as Array<[DataTypeName, NumericArray, keyof TypedContents]>)('gives %s as a plain array in %s', (name, data, field) => {
    const out = encodeTyped(tensor(name, data));
    expect(Array.isArray(out[field])).toBe(true);
    expect(out[field]).toEqual(Array.from(data as ArrayLike<number>));
  });

  it('gives 64-bit integers as decimal strings, exactly', () => {
    const i = encodeTyped(tensor('INT64', BigInt64Array.from([9007199254740993n, -(2n ** 63n)])));
    expect(Array.isArray(i.int64_contents)).toBe(true);
    expect(i.int64_contents).toEqual(['9007199254740993', '-9223372036854775808']);
    const u = encodeTyped(tensor('UINT64', BigUint64Array.from([2n ** 64n - 1n])));
    expect(u.uint64_contents).toEqual(['18446744073709551615']);
  });

  it('gives BOOL as booleans and FP16 as numbers', () => {
    expect(encodeTyped(tensor('BOOL', Uint8Array.from([1, 0, 2]))).bool_contents).toEqual([true, false, true]);
    expect(encodeTyped(tensor('FP16', Uint16Array.from([0x3c00, 0xc000, 0x7c00]))).fp32_contents).toEqual([1, -2, Infinity]);
  });

  it('gives BYTES as UTF-8 buffers', () => {
    const out = encodeTyped(tensor('BYTES', ['hé', '']));
    expect(Array.isArray(out.bytes_contents)).toBe(true);
    const values = out.bytes_contents as Uint8Array[];
    expect(Buffer.from(values[0]).toString('utf8')).toBe('hé');
    expect(values[1].length).toBe(0);
  });

  it('round-trips through decodeTyped', () => {
    const t = tensor('INT64', BigInt64Array.from([2n ** 62n + 1n, -3n]));
    const back = decodeTyped('t', t.datatype, t.shape, encodeTyped(t)) as BigInt64Array;
    expect(Array.from(back)).toEqual([2n ** 62n + 1n, -3n]);
  });
});
