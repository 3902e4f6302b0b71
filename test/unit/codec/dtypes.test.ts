import {
  DATA_TYPES,
  DataTypeName,
  dataTypeByName,
  dataTypeByOrt,
  dataTypeFromWire,
  dataTypeToWire,
} from '../../../src/codec/dtypes';

const ALL_NAMES: DataTypeName[] = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
];

describe('datatype table', () => {
  it('has exactly one row per datatype name', () => {
    expect(DATA_TYPES.map((t) => t.name).sort()).toEqual([...ALL_NAMES].sort());
    expect(new Set(DATA_TYPES.map((t) => t.ort)).size).toBe(DATA_TYPES.length);
  });

  it.each(ALL_NAMES)('round-trips %s through name, ort and wire', (name) => {
    const info = dataTypeByName(name);
    expect(info).toBeDefined();
    expect(info!.name).toBe(name);
    expect(dataTypeByOrt(info!.ort)).toBe(info);
    const wire = dataTypeToWire(info!);
    expect(wire).toBe(`DATA_TYPE_${name}`);
    expect(dataTypeFromWire(wire)).toBe(info);
  });

  it('has itemSize equal to the TypedArray element width (0 and no array for BYTES)', () => {
    for (const t of DATA_TYPES) {
      if (t.name === 'BYTES') {
        expect(t.array).toBeNull();
        expect(t.itemSize).toBe(0);
      } else {
        expect(t.array).not.toBeNull();
        expect(t.itemSize).toBe(t.array!.BYTES_PER_ELEMENT);
      }
    }
  });

  it('maps onnxruntime names as onnxruntime spells them', () => {
    const expected: Record<DataTypeName, string> = {
      BOOL: 'bool',
      UINT8: 'uint8',
      UINT16: 'uint16',
      UINT32: 'uint32',
      UINT64: 'uint64',
      INT8: 'int8',
      INT16: 'int16',
      INT32: 'int32',
      INT64: 'int64',
      FP16: 'float16',
      FP32: 'float32',
      FP64: 'float64',
      BYTES: 'string',
    };
    for (const name of ALL_NAMES) expect(dataTypeByName(name)!.ort).toBe(expected[name]);
  });

  it('uses the storage onnxruntime expects for BOOL, FP16 and 64-bit integers', () => {
    expect(dataTypeByName('BOOL')!.array).toBe(Uint8Array);
    expect(dataTypeByName('FP16')!.array).toBe(Uint16Array);
    expect(dataTypeByName('INT64')!.array).toBe(BigInt64Array);
    expect(dataTypeByName('UINT64')!.array).toBe(BigUint64Array);
  });

  it('names the typed contents field of each datatype (FP16 travels as fp32)', () => {
    const field = (n: DataTypeName) => dataTypeByName(n)!.typedField;
    expect(field('BOOL')).toBe('bool_contents');
    for (const n of ['INT8', 'INT16', 'INT32'] as const) expect(field(n)).toBe('int_contents');
    for (const n of ['UINT8', 'UINT16', 'UINT32'] as const) expect(field(n)).toBe('uint_contents');
    expect(field('INT64')).toBe('int64_contents');
    expect(field('UINT64')).toBe('uint64_contents');
    expect(field('FP16')).toBe('fp32_contents');
    expect(field('FP32')).toBe('fp32_contents');
    expect(field('FP64')).toBe('fp64_contents');
    expect(field('BYTES')).toBe('bytes_contents');
  });

  it('returns undefined for unsupported names', () => {
    expect(dataTypeByName('BF16')).toBeUndefined();
    expect(dataTypeByName('fp32')).toBeUndefined();
    expect(dataTypeByOrt('bfloat16')).toBeUndefined();
    expect(dataTypeByOrt('FP32')).toBeUndefined();
    expect(dataTypeFromWire('FP32')).toBeUndefined();
    expect(dataTypeFromWire('DATA_TYPE_UNSPECIFIED')).toBeUndefined();
    expect(dataTypeFromWire('DATA_TYPE_BF16')).toBeUndefined();
    expect(dataTypeFromWire('')).toBeUndefined();
  });
});
