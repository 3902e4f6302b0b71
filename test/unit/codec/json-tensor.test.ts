import { DataTypeName, dataTypeByName } from '../../../src/codec/dtypes';
import { flattenNested, tensorFromJson, tensorJsonValues } from '../../../src/codec/json-tensor';
import { Tensor } from '../../../src/codec/tensor-codec';
import { expectAmaasError } from '../../helpers/expect-amaas-error';

const dt = (name: DataTypeName) => dataTypeByName(name)!;

const expectCode = expectAmaasError;

describe('flattenNested', () => {
  it('infers the shape of nested arrays and flattens row-major', () => {
    expect(flattenNested('x', [[1, 2, 3], [4, 5, 6]])).toEqual({ shape: [2, 3], values: [1, 2, 3, 4, 5, 6] });
    expect(flattenNested('x', [[[1], [2]], [[3], [4]]])).toEqual({ shape: [2, 2, 1], values: [1, 2, 3, 4] });
  });

  it('treats a single value as a scalar', () => {
    expect(flattenNested('x', 7)).toEqual({ shape: [], values: [7] });
  });

  it('handles empty arrays', () => {
    expect(flattenNested('x', [])).toEqual({ shape: [0], values: [] });
    expect(flattenNested('x', [[], []])).toEqual({ shape: [2, 0], values: [] });
  });

  it.each([
    [[[1, 2], [3]]],
    [[[1, 2], 3]],
    [[1, [2]]],
    [[[[1]], [2]]],
    [[[1, 2], [3, 4, 5]]],
  ])('rejects ragged data %j', (data) => {
    expectCode(() => flattenNested('in0', data), 'AMAAS_ERR_SHAPE_MISMATCH', "'in0'", 'ragged');
  });
});

describe('tensorFromJson', () => {
  it('infers the shape from nested data', () => {
    const t = tensorFromJson('x', dt('FP32'), [[1, 2], [3, 4], [5, 6]]);
    expect(t.name).toBe('x');
    expect(t.datatype).toBe(dt('FP32'));
    expect(t.shape).toEqual([3, 2]);
    expect(Array.from(t.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('takes flat data with an explicit shape', () => {
    const t = tensorFromJson('x', dt('INT32'), [1, 2, 3, 4, 5, 6], [2, 3]);
    expect(t.shape).toEqual([2, 3]);
    expect(Array.from(t.data as Int32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('takes nested data with an explicit shape of the same element count', () => {
    const t = tensorFromJson('x', dt('INT32'), [[1, 2], [3, 4]], [4]);
    expect(t.shape).toEqual([4]);
    expect(Array.from(t.data as Int32Array)).toEqual([1, 2, 3, 4]);
  });

  it('rejects data whose element count does not match the explicit shape', () => {
    expectCode(() => tensorFromJson('in0', dt('FP32'), [1, 2, 3], [2, 2]), 'AMAAS_ERR_CONTENT_SIZE_MISMATCH', "'in0'", '3', '4');
  });

  it('rejects ragged data', () => {
    expectCode(() => tensorFromJson('in0', dt('FP32'), [[1, 2], [3]]), 'AMAAS_ERR_SHAPE_MISMATCH', "'in0'");
  });

  it('builds a scalar from a single value', () => {
    const t = tensorFromJson('x', dt('FP64'), 2.5);
    expect(t.shape).toEqual([]);
    expect(Array.from(t.data as Float64Array)).toEqual([2.5]);
  });

  it('applies the typed-path range checks', () => {
    expectCode(() => tensorFromJson('in0', dt('UINT8'), [1, 256]), 'AMAAS_ERR_INVALID_REQUEST', "'in0'");
    expectCode(() => tensorFromJson('in0', dt('INT8'), [0.5]), 'AMAAS_ERR_INVALID_REQUEST', "'in0'");
  });

  it('takes 64-bit integers as strings, exactly', () => {
    const t = tensorFromJson('x', dt('INT64'), ['9007199254740993', 5]);
    expect(Array.from(t.data as BigInt64Array)).toEqual([9007199254740993n, 5n]);
  });

  it('takes BOOL, FP16 and BYTES', () => {
    expect(Array.from(tensorFromJson('x', dt('BOOL'), [true, false]).data as Uint8Array)).toEqual([1, 0]);
    expect(Array.from(tensorFromJson('x', dt('FP16'), [1, -2]).data as Uint16Array)).toEqual([0x3c00, 0xc000]);
    expect(tensorFromJson('x', dt('BYTES'), [['a', 'b']]).data).toEqual(['a', 'b']);
  });
});

describe('tensorJsonValues', () => {
  const tensor = (name: DataTypeName, data: Tensor['data']): Tensor => ({ name: 't', datatype: dt(name), shape: [data.length], data });

  it('gives BOOL as booleans', () => {
    expect(tensorJsonValues(tensor('BOOL', Uint8Array.from([1, 0, 3])))).toEqual([true, false, true]);
  });

  it('gives FP16 as the numbers its bits stand for', () => {
    expect(tensorJsonValues(tensor('FP16', Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001])))).toEqual([1, -2, 65504, 2 ** -24]);
  });

  it('gives 64-bit integers as bigints, exactly', () => {
    expect(
      tensorJsonValues(tensor('INT64', BigInt64Array.from([5n, -(2n ** 53n) + 1n, 2n ** 53n + 1n, -(2n ** 63n)]))),
    ).toEqual([5n, -(2n ** 53n) + 1n, 9007199254740993n, -9223372036854775808n]);
    expect(tensorJsonValues(tensor('UINT64', BigUint64Array.from([0n, 2n ** 64n - 1n])))).toEqual([0n, 18446744073709551615n]);
  });

  it('gives other numeric types as plain numbers and BYTES as strings', () => {
    const v = tensorJsonValues(tensor('FP32', Float32Array.from([0.5, -1])));
    expect(Array.isArray(v)).toBe(true);
    expect(v).toEqual([0.5, -1]);
    expect(tensorJsonValues(tensor('INT8', Int8Array.from([-128, 127])))).toEqual([-128, 127]);
    expect(tensorJsonValues(tensor('BYTES', ['a', 'é']))).toEqual(['a', 'é']);
  });

  it('round-trips through tensorFromJson', () => {
    const values = ['9223372036854775807', -3, 0];
    const t = tensorFromJson('x', dt('INT64'), values);
    expect(tensorJsonValues(t)).toEqual([9223372036854775807n, -3n, 0n]);
  });
});
