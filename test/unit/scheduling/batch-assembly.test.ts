/** The mechanics of a merged batch: keys, concatenation along dimension 0 (one copy), and split-back as views. */
import { AmaasError } from '../../../src/errors';
import type { TensorPayload } from '../../../src/pool/messages';
import { concatInputs, mergeKey, rowsOf, splitOutputs } from '../../../src/scheduling/batch-assembly';

const fp32 = (rows: number, cols: number, start: number): TensorPayload => ({
  type: 'float32',
  dims: [rows, cols],
  data: Float32Array.from({ length: rows * cols }, (_, i) => start + i),
});

describe('rowsOf and mergeKey', () => {
  it('reads the shared first dimension as the row count', () => {
    expect(rowsOf({ a: fp32(3, 2, 0), b: fp32(3, 5, 0) })).toBe(3);
  });

  it('gives no rows and no key to requests whose inputs disagree on the first dimension, or hold a scalar', () => {
    expect(rowsOf({ a: fp32(3, 2, 0), b: fp32(1, 2, 0) })).toBeNull();
    expect(mergeKey({ a: fp32(3, 2, 0), b: fp32(1, 2, 0) }, ['y'])).toBeNull();
    expect(mergeKey({ a: { type: 'float32', dims: [], data: new Float32Array(1) } }, ['y'])).toBeNull();
  });

  it('keys on names, datatypes, non-batch dims and requested outputs, not on rows or input order', () => {
    const k = mergeKey({ a: fp32(1, 4, 0), b: fp32(1, 2, 0) }, ['y']);
    expect(mergeKey({ b: fp32(7, 2, 0), a: fp32(7, 4, 0) }, ['y'])).toBe(k);
    expect(mergeKey({ a: fp32(1, 5, 0), b: fp32(1, 2, 0) }, ['y'])).not.toBe(k);
    expect(mergeKey({ a: fp32(1, 4, 0), b: fp32(1, 2, 0) }, ['z'])).not.toBe(k);
    expect(mergeKey({ a: fp32(1, 4, 0), b: fp32(1, 2, 0) }, ['y', 'z'])).not.toBe(k);
    const int = { type: 'int32' as const, dims: [1, 2], data: new Int32Array(2) };
    expect(mergeKey({ a: fp32(1, 4, 0), b: int }, ['y'])).not.toBe(k);
  });
});

describe('concatInputs', () => {
  it('concatenates each input along dimension 0 into one new buffer, counting the bytes copied', () => {
    const m1 = { x: fp32(1, 3, 0) };
    const m2 = { x: fp32(2, 3, 100) };
    const batch = concatInputs([m1, m2]);
    expect(batch.inputs.x.dims).toEqual([3, 3]);
    expect(batch.inputs.x.type).toBe('float32');
    expect(Array.from(batch.inputs.x.data as Float32Array)).toEqual([0, 1, 2, 100, 101, 102, 103, 104, 105]);
    expect(batch.inputs.x.data).toBeInstanceOf(Float32Array);
    expect(batch.transferList).toEqual([(batch.inputs.x.data as Float32Array).buffer]);
    // One copy: every input byte of every member, once.
    expect(batch.bytesCopied).toBe(9 * 4);
    expect((batch.inputs.x.data as Float32Array).buffer).not.toBe((m1.x.data as Float32Array).buffer);
  });

  it('keeps the array kind of 64-bit integers and reads members from offset views', () => {
    const backing = new BigInt64Array([9n, 1n, 2n, 9n]);
    const view = backing.subarray(1, 3); // a view with a byteOffset, as decoded tensors may be
    const batch = concatInputs([{ ids: { type: 'int64', dims: [1, 2], data: view } }, { ids: { type: 'int64', dims: [1, 2], data: new BigInt64Array([3n, 4n]) } }]);
    expect(batch.inputs.ids.data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(batch.inputs.ids.data as BigInt64Array)).toEqual([1n, 2n, 3n, 4n]);
    expect(batch.bytesCopied).toBe(32);
  });

  it('concatenates BYTES (string[]) tensors as arrays, copying no bytes and transferring nothing', () => {
    const batch = concatInputs([
      { text: { type: 'string', dims: [2], data: ['a', 'héllo'] } },
      { text: { type: 'string', dims: [1], data: ['日本'] } },
    ]);
    expect(batch.inputs.text).toEqual({ type: 'string', dims: [3], data: ['a', 'héllo', '日本'] });
    expect(batch.transferList).toEqual([]);
    expect(batch.bytesCopied).toBe(0);
  });

  it('merges several inputs per request', () => {
    const batch = concatInputs([
      { a: fp32(1, 2, 0), b: fp32(1, 2, 10) },
      { a: fp32(1, 2, 20), b: fp32(1, 2, 30) },
    ]);
    expect(Array.from(batch.inputs.a.data as Float32Array)).toEqual([0, 1, 20, 21]);
    expect(Array.from(batch.inputs.b.data as Float32Array)).toEqual([10, 11, 30, 31]);
    expect(batch.transferList).toHaveLength(2);
  });
});

describe('splitOutputs', () => {
  it('splits along dimension 0 by row count, as views of the batch buffer (no copy)', () => {
    const y = fp32(4, 2, 0);
    const [r1, r2, r3] = splitOutputs({ y }, [1, 0, 3]);
    expect(r1.y.dims).toEqual([1, 2]);
    expect(Array.from(r1.y.data as Float32Array)).toEqual([0, 1]);
    expect(r2.y.dims).toEqual([0, 2]);
    expect(Array.from(r2.y.data as Float32Array)).toEqual([]);
    expect(r3.y.dims).toEqual([3, 2]);
    expect(Array.from(r3.y.data as Float32Array)).toEqual([2, 3, 4, 5, 6, 7]);
    expect((r3.y.data as Float32Array).buffer).toBe((y.data as Float32Array).buffer);
    expect((r3.y.data as Float32Array).byteOffset).toBe(2 * 4);
  });

  it('splits every output, including outputs that share one buffer at different offsets', () => {
    const shared = new Float32Array(12);
    shared.forEach((_, i) => (shared[i] = i));
    const outputs: Record<string, TensorPayload> = {
      sum: { type: 'float32', dims: [2, 3], data: shared.subarray(0, 6) },
      product: { type: 'float32', dims: [2, 3], data: shared.subarray(6, 12) },
    };
    const [a, b] = splitOutputs(outputs, [1, 1]);
    expect(Array.from(a.sum.data as Float32Array)).toEqual([0, 1, 2]);
    expect(Array.from(b.product.data as Float32Array)).toEqual([9, 10, 11]);
  });

  it('splits BYTES outputs as arrays', () => {
    const [a, b] = splitOutputs({ t: { type: 'string', dims: [3], data: ['x', 'y', 'z'] } }, [2, 1]);
    expect(a.t).toEqual({ type: 'string', dims: [2], data: ['x', 'y'] });
    expect(b.t).toEqual({ type: 'string', dims: [1], data: ['z'] });
  });

  it('round-trips: concat then split gives each member back its own rows', () => {
    const members = [{ x: fp32(2, 3, 0) }, { x: fp32(1, 3, 50) }, { x: fp32(3, 3, 90) }];
    const batch = concatInputs(members);
    const results = splitOutputs(batch.inputs, [2, 1, 3]);
    results.forEach((r, i) => expect(Array.from(r.x.data as Float32Array)).toEqual(Array.from(members[i].x.data as Float32Array)));
  });

  it('fails for the whole batch, naming the output, when an output is not per row', () => {
    let caught: unknown;
    try {
      splitOutputs({ y: { type: 'float32', dims: [5], data: new Float32Array(5) } }, [1, 2]);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AmaasError);
    expect((caught as AmaasError).code).toBe('AMAAS_ERR_RUNTIME_FAILURE');
    expect((caught as AmaasError).message).toMatch(/'y'.*max_batch_size: 0/);
  });
});
