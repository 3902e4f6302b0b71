/** The batch job's readers: JSON Lines split by position, and .npy files (1.0/2.0/3.0) read row by row. */
import fs from 'node:fs';
import path from 'node:path';
import type { ModelInfo } from '../../../src/client/amaas-client';
import { countLines, inputsFromLine, readLines } from '../../../src/client/batch-rows';
import { NpyFile, parseNpyHeaderText } from '../../../src/client/npy-reader';
import { tempDir } from '../../helpers/model-repository';
import { bytesOf, writeNpy } from '../../helpers/npy-file';

const dir = tempDir('amaas-batch-rows-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const model: ModelInfo = {
  name: 'm',
  defaultVersion: 1,
  versions: [],
  describedVersion: 1,
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
  outputs: [],
  platform: 'onnxruntime',
};

async function all<T>(gen: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of gen) out.push(v);
  return out;
}

describe('readLines', () => {
  it('gives each line with the offset after it; CRLF and a last line without newline count', async () => {
    const file = path.join(dir, 'a.jsonl');
    fs.writeFileSync(file, 'one\r\ntwo\n\nthree');
    const lines = await all(readLines(file, 0));
    expect(lines).toEqual([
      { text: 'one', next: 5 },
      { text: 'two', next: 9 },
      { text: '', next: 10 },
      { text: 'three', next: 15 },
    ]);
    expect(await all(readLines(file, 9))).toEqual(lines.slice(2));
    expect(await countLines(file)).toBe(4);
    fs.writeFileSync(file, 'one\ntwo\n');
    expect(await countLines(file)).toBe(2);
    expect((await all(readLines(file, 0))).map((l) => l.text)).toEqual(['one', 'two']);
  });

  it('joins lines that span read chunks (multi-byte characters too)', async () => {
    const file = path.join(dir, 'long.jsonl');
    const long = 'é'.repeat(300_000);
    fs.writeFileSync(file, `${long}\nshort\n${long}`);
    const lines = await all(readLines(file, 0));
    expect(lines.map((l) => l.text)).toEqual([long, 'short', long]);
    expect(lines[2].next).toBe(fs.statSync(file).size);
  });
});

describe('inputsFromLine', () => {
  it('reads nested data with the model datatype, or an explicit spec', () => {
    expect(inputsFromLine('{"x": [[1, 2]]}', model)).toEqual({ x: { data: Float32Array.from([1, 2]), dims: [1, 2], datatype: 'FP32' } });
    expect(inputsFromLine('{"x": {"datatype": "FP64", "shape": [2, 1], "data": [1, 2]}}', model).x).toEqual({
      data: Float64Array.from([1, 2]),
      dims: [2, 1],
      datatype: 'FP64',
    });
  });

  it.each([
    ['', 'AMAAS_ERR_INVALID_REQUEST', /empty/],
    ['{"x": [[1,', 'AMAAS_ERR_INVALID_REQUEST', /not valid JSON/],
    ['[1, 2]', 'AMAAS_ERR_INVALID_REQUEST', /JSON object/],
    ['{"y": [[1, 2]]}', 'AMAAS_ERR_INPUT_UNKNOWN', /no input 'y'/],
    ['{"x": [[1, 2], [3]]}', 'AMAAS_ERR_SHAPE_MISMATCH', /ragged/],
    ['{"x": {"datatype": "NOPE", "data": [1]}}', 'AMAAS_ERR_INVALID_REQUEST', /unknown datatype/],
  ])('refuses %j with %s', (line, code, message) => {
    expect(() => inputsFromLine(line, model)).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));
  });
});

describe('NpyFile', () => {
  it.each([1, 2, 3] as const)('reads format %i.0 row by row, from any row', async (version) => {
    const values = Int16Array.from({ length: 12 }, (_, i) => i - 6);
    const file = writeNpy(path.join(dir, `v${version}.npy`), { descr: '<i2', shape: [4, 3], data: bytesOf(values), version });
    const npy = await NpyFile.open(file);
    try {
      expect(npy.header).toMatchObject({ shape: [4, 3], rowElements: 3, swap: false });
      expect(npy.header.datatype.name).toBe('INT16');
      expect((await all(npy.read(0, 3))).map((r) => Array.from(r as Int16Array))).toEqual([
        [-6, -5, -4],
        [-3, -2, -1],
        [0, 1, 2],
        [3, 4, 5],
      ]);
      expect((await all(npy.read(3))).map((r) => Array.from(r as Int16Array))).toEqual([[3, 4, 5]]);
    } finally {
      await npy.close();
    }
  });

  it('swaps big-endian values and maps every numeric dtype', async () => {
    const big = Buffer.from(bytesOf(Float64Array.from([1.5, -2.25]))).swap64();
    const npy = await NpyFile.open(writeNpy(path.join(dir, 'big.npy'), { descr: '>f8', shape: [2], data: big }));
    try {
      expect((await all(npy.read())).map((r) => Array.from(r as Float64Array))).toEqual([[1.5], [-2.25]]);
    } finally {
      await npy.close();
    }
    const names = ['|b1', '|u1', '<u2', '<u4', '<u8', '|i1', '<i2', '<i4', '<i8', '<f2', '<f4', '<f8'].map(
      (d) => parseNpyHeaderText('f', `{'descr': '${d}', 'fortran_order': False, 'shape': (2, 3), }`, 128).datatype.name,
    );
    expect(names).toEqual(['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64']);
  });

  it.each([
    ["{'descr': '<U4', 'fortran_order': False, 'shape': (2,), }", /dtype "<U4"/],
    ["{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", /Fortran/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (), }", /scalar/],
    ["{'descr': '<f4', 'shape': (2,), }", /lacks/],
  ])('refuses header %s', (text, message) => {
    expect(() => parseNpyHeaderText('f.npy', text, 128)).toThrow(message);
  });

  it('refuses a file that is not .npy or is shorter than its shape', async () => {
    const notNpy = path.join(dir, 'not.npy');
    fs.writeFileSync(notNpy, 'hello world, not numpy');
    await expect(NpyFile.open(notNpy)).rejects.toThrow(/magic/);
    const short = writeNpy(path.join(dir, 'short.npy'), { descr: '<f4', shape: [3, 2], data: bytesOf(new Float32Array(5)) });
    await expect(NpyFile.open(short)).rejects.toThrow(/shorter than its shape/);
  });
});
