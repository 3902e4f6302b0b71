import { DataTypeName, dataTypeByName } from '../../../src/codec/dtypes';
import { parseJson, stringifyJson } from '../../../src/codec/json-text';
import { tensorFromJson, tensorJsonValues } from '../../../src/codec/json-tensor';
import { expectAmaasError } from '../../helpers/expect-amaas-error';

const dt = (name: DataTypeName) => dataTypeByName(name)!;

const EDGES = {
  '9007199254740993': 2n ** 53n + 1n,
  '-9007199254740993': -(2n ** 53n) - 1n,
  '9007199254740992': 2n ** 53n,
  '-9223372036854775808': -(2n ** 63n),
  '9223372036854775807': 2n ** 63n - 1n,
  '18446744073709551615': 2n ** 64n - 1n,
  '4611686018427387905': 2n ** 62n + 1n,
  '123456789012345678901234567890': 123456789012345678901234567890n,
};

describe('parseJson', () => {
  it.each(Object.entries(EDGES))('reads the integer %s exactly, as a bigint', (text, value) => {
    expect(parseJson(text)).toBe(value);
    expect(parseJson(`[${text}]`)).toEqual([value]);
    expect(parseJson(`{"v": ${text}}`)).toEqual({ v: value });
  });

  it('reads safe integers as numbers, also next to big ones', () => {
    expect(parseJson('[9007199254740991, -9007199254740991, 0, 5, 9007199254740993]')).toEqual([
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_SAFE_INTEGER,
      0,
      5,
      2n ** 53n + 1n,
    ]);
    expect(parseJson('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('keeps numbers with a fraction or an exponent as numbers', () => {
    const text = '[0.1, -2.5, 1e300, 1.5e-7, 12345678901234567.5, 9007199254740993.0, 1e20, 1E+21, -0, 0.12345678901234567]';
    const parsed = parseJson(text) as unknown[];
    expect(parsed).toEqual(JSON.parse(text));
    for (const v of parsed) expect(typeof v).toBe('number');
    expect(Object.is(parsed[8], -0)).toBe(true);
  });

  it('reads nested arrays and objects, big integers at any depth', () => {
    expect(parseJson('{"inputs": [{"name": "x", "shape": [2, 2], "data": [[1, 9223372036854775807], [-9223372036854775808, 2.5]]}]}')).toEqual({
      inputs: [{ name: 'x', shape: [2, 2], data: [[1, 2n ** 63n - 1n], [-(2n ** 63n), 2.5]] }],
    });
  });

  it('leaves strings as strings, digits included', () => {
    expect(parseJson('["9007199254740993", "id 12345678901234567", "\\u00e9\\n", 9007199254740993]')).toEqual([
      '9007199254740993',
      'id 12345678901234567',
      'é\n',
      2n ** 53n + 1n,
    ]);
  });

  it('reads everything else as JSON.parse does, on either parser', () => {
    // With and without a long integer, which picks the lossless parser.
    for (const extra of ['1', '12345678901234567']) {
      const text = `{"a": [true, false, null, "s", {"b": {}}, []], "n": -1.25e-3, "big": ${extra}, " ": "\\"\\\\/\\b\\f\\r\\t"}`;
      const expected = JSON.parse(text);
      if (extra.length > 15) expected.big = BigInt(extra);
      expect(parseJson(text)).toEqual(expected);
    }
  });

  it('keeps the last of repeated keys and "__proto__" as an own key, like JSON.parse', () => {
    for (const big of ['', ', "z": 12345678901234567']) {
      const dup = parseJson(`{"k": 1, "k": 2${big}}`) as Record<string, unknown>;
      expect(dup.k).toBe(2);
      const proto = parseJson(`{"__proto__": {"polluted": 1}${big}}`) as Record<string, unknown>;
      expect(Object.keys(proto)).toContain('__proto__');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    }
  });

  it.each(['{not json', '[1, 2', '', '[9007199254740993,]', '{"a": 9007199254740993', '01', '[1] x'])('throws a SyntaxError for %j', (text) => {
    expect(() => parseJson(text)).toThrow(SyntaxError);
  });
});

describe('stringifyJson', () => {
  it.each(Object.entries(EDGES))('writes the bigint %s as an exact JSON integer', (text, value) => {
    expect(stringifyJson(value)).toBe(text);
    expect(stringifyJson([value, value])).toBe(`[${text},${text}]`);
    expect(stringifyJson({ data: [1, value, 'x'] })).toBe(`{"data":[1,${text},"x"]}`);
  });

  it('writes plain data exactly as JSON.stringify does', () => {
    const metadata = {
      name: 'scale',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
      nothing: undefined,
      fn: () => 1,
      nested: { a: [1.5, -0, NaN, Infinity, null, true, 'quote " and \\ and é \u2028'], holes: [undefined, () => 1] },
      empty: [[], {}],
      date: new Date(0),
    };
    expect(stringifyJson(metadata)).toBe(JSON.stringify(metadata));
    expect(stringifyJson([1, 2, 3])).toBe('[1,2,3]');
    expect(stringifyJson('s')).toBe('"s"');
    expect(stringifyJson(null)).toBe('null');
  });

  it('round-trips through parseJson', () => {
    const value = { id: 'r', outputs: [{ data: [-(2n ** 63n), 0, 2n ** 63n - 1n, 2n ** 64n - 1n] }, { data: [0.1, 2.5e-8, -3] }] };
    expect(parseJson(stringifyJson(value))).toEqual(value);
  });
});

describe('JSON integers into tensors', () => {
  const fromText = (type: DataTypeName, text: string) => tensorFromJson('in0', dt(type), parseJson(text));

  it('decodes INT64 and UINT64 edge values exactly', () => {
    const int64 = fromText('INT64', '[9007199254740993, -9223372036854775808, 9223372036854775807, -5, "9007199254740995"]');
    expect(Array.from(int64.data as BigInt64Array)).toEqual([2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n, -5n, 2n ** 53n + 3n]);
    const uint64 = fromText('UINT64', '[[18446744073709551615, 0], ["9007199254740993", 7]]');
    expect(uint64.shape).toEqual([2, 2]);
    expect(Array.from(uint64.data as BigUint64Array)).toEqual([2n ** 64n - 1n, 0n, 2n ** 53n + 1n, 7n]);
  });

  it('refuses 64-bit values out of range, naming the tensor and element', () => {
    expectAmaasError(() => fromText('INT64', '[1, 9223372036854775808]'), 'AMAAS_ERR_INVALID_REQUEST', "'in0'", 'element 1', 'out of range');
    expectAmaasError(() => fromText('INT64', '[-9223372036854775809]'), 'AMAAS_ERR_INVALID_REQUEST', "'in0'", 'element 0', 'out of range');
    expectAmaasError(() => fromText('UINT64', '[18446744073709551616]'), 'AMAAS_ERR_INVALID_REQUEST', "'in0'", 'element 0', 'out of range');
    expectAmaasError(() => fromText('UINT64', '[0, -1]'), 'AMAAS_ERR_INVALID_REQUEST', "'in0'", 'element 1', 'out of range');
  });

  it('range-checks big integers for the narrower integer types', () => {
    expectAmaasError(() => fromText('INT32', '[1, 9007199254740993]'), 'AMAAS_ERR_INVALID_REQUEST', "'in0'", 'element 1', '9007199254740993', 'out of range');
    expectAmaasError(() => fromText('UINT32', '[-9223372036854775808]'), 'AMAAS_ERR_INVALID_REQUEST', "'in0'", 'element 0', 'out of range');
    expectAmaasError(() => fromText('INT8', '[12345678901234567890]'), 'AMAAS_ERR_INVALID_REQUEST', "'in0'", 'element 0', 'out of range');
    expectAmaasError(() => fromText('BOOL', '[9007199254740993]'), 'AMAAS_ERR_INVALID_REQUEST', "'in0'", 'element 0');
  });

  it('rounds big integers given for float tensors, as JSON.parse would', () => {
    const t = fromText('FP64', '[9007199254740993, 1.5]');
    expect(Array.from(t.data as Float64Array)).toEqual([JSON.parse('9007199254740993'), 1.5]);
  });

  it('prints INT64 and UINT64 outputs as exact JSON integers', () => {
    const int64 = { name: 'y', datatype: dt('INT64'), shape: [4], data: BigInt64Array.from([2n ** 62n + 1n, -(2n ** 63n), 2n ** 63n - 1n, 0n]) };
    expect(stringifyJson(tensorJsonValues(int64))).toBe('[4611686018427387905,-9223372036854775808,9223372036854775807,0]');
    const uint64 = { name: 'y', datatype: dt('UINT64'), shape: [2], data: BigUint64Array.from([2n ** 64n - 1n, 1n]) };
    expect(stringifyJson(tensorJsonValues(uint64))).toBe('[18446744073709551615,1]');
  });
});
