/**
 * The response cache's key: requests that could have different answers never share a key; requests that must
 * have the same answer do (inputs in another order, raw or typed contents with the same bytes, no output
 * list against every output in model order).
 */
import { requestKey } from '../../../src/caching';
import { DataTypeName, dataTypeByName } from '../../../src/codec/dtypes';
import { BorrowedBytes, InputTensor } from '../../../src/codec/tensor-codec';

const dt = (name: DataTypeName) => dataTypeByName(name)!;
const fp32 = (name: string, values: number[], shape = [1, values.length]): InputTensor => ({
  name,
  datatype: dt('FP32'),
  shape,
  data: new Float32Array(values),
});
const key = (inputs: InputTensor[], outputs: string[] = ['y'], model = 'm', version = 1) => requestKey(model, version, inputs, outputs);

describe('requestKey', () => {
  const base = key([fp32('x', [1, 2, 3, 4])]);

  it('is a SHA-256 (32 bytes, base64url) and stable', () => {
    expect(base).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key([fp32('x', [1, 2, 3, 4])])).toBe(base);
  });

  it('differs for another model, version, input name, shape, datatype, bytes or output list', () => {
    const variants = [
      key([fp32('x', [1, 2, 3, 4])], ['y'], 'm2'),
      key([fp32('x', [1, 2, 3, 4])], ['y'], 'm', 2),
      key([fp32('x2', [1, 2, 3, 4])]),
      key([fp32('x', [1, 2, 3, 4], [2, 2])]),
      key([fp32('x', [1, 2, 3, 4], [4])]),
      // Same bytes, another datatype.
      key([{ name: 'x', datatype: dt('INT32'), shape: [1, 4], data: new Int32Array(new Float32Array([1, 2, 3, 4]).buffer) }]),
      key([fp32('x', [1, 2, 3, 5])]),
      key([fp32('x', [1, 2, 3, 4])], ['z']),
      key([fp32('x', [1, 2, 3, 4])], ['y', 'z']),
      key([fp32('x', [1, 2, 3, 4])], []),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
  });

  it('length-prefixes fields, so they cannot run together', () => {
    const bytes = (name: string, data: string[]): InputTensor => ({ name, datatype: dt('BYTES'), shape: [data.length], data });
    expect(key([bytes('t', ['ab', 'c'])])).not.toBe(key([bytes('t', ['a', 'bc'])]));
    expect(key([bytes('t', ['abc'])])).not.toBe(key([bytes('t', ['ab', 'c'])]));
    // A name's end and a datatype's start.
    expect(key([fp32('x', [1])], ['ab'], 'm')).not.toBe(key([fp32('x', [1])], ['a', 'b'], 'm'));
    expect(requestKey('ab', 1, [fp32('x', [1])], ['y'])).not.toBe(requestKey('a', 1, [fp32('bx', [1])], ['y']));
    // Shape [1, 4] against [14] with the same bytes count differently.
    expect(key([fp32('x', [1, 2, 3, 4], [1, 4])])).not.toBe(key([fp32('x', [1, 2, 3, 4], [14])]));
  });

  it('ignores input order and whether the bytes are borrowed or typed', () => {
    const a = fp32('a', [1, 2]);
    const b = fp32('b', [3, 4]);
    expect(key([a, b], ['sum'])).toBe(key([b, a], ['sum']));
    const wire = Buffer.concat([Buffer.alloc(3), Buffer.from(new Float32Array([1, 2, 3, 4]).buffer)]).subarray(3);
    expect(key([{ name: 'x', datatype: dt('FP32'), shape: [1, 4], data: new BorrowedBytes(wire) }])).toBe(base);
  });

  it('keeps the order of the outputs asked for', () => {
    expect(key([fp32('x', [1])], ['sum', 'product'])).not.toBe(key([fp32('x', [1])], ['product', 'sum']));
  });
});
