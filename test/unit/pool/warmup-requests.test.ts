/** Warm-up requests: generated from the input metadata, or read from <version>/warmup/*.json. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AmaasError } from '../../../src/errors';
import { generatedWarmupRequest, sampleWarmupRequests } from '../../../src/pool/warmup-requests';

it('generates zeros with dynamic dimensions set to 1, and empty strings for BYTES', () => {
  const r = generatedWarmupRequest([
    { name: 'x', type: 'float32', shape: [-1, 4] },
    { name: 'ids', type: 'int64', shape: [2, -1] },
    { name: 'text', type: 'string', shape: [-1] },
    { name: 'flag', type: 'bool', shape: [] },
  ]);
  expect(r.label).toBe('generated');
  expect(r.inputs.x).toMatchObject({ type: 'float32', dims: [1, 4] });
  expect(Array.from(r.inputs.x.data as Float32Array)).toEqual([0, 0, 0, 0]);
  expect(r.inputs.ids.dims).toEqual([2, 1]);
  expect(r.inputs.ids.data).toBeInstanceOf(BigInt64Array);
  expect(r.inputs.text).toEqual({ type: 'string', dims: [1], data: [''] });
  expect(r.inputs.flag.dims).toEqual([]);
  expect((r.inputs.flag.data as Uint8Array).length).toBe(1);
});

it('refuses inputs it cannot build (non-tensor types)', () => {
  expect(() => generatedWarmupRequest([{ name: 'seq', type: 'non-tensor', shape: [] }])).toThrow(AmaasError);
});

it('reads sample files in name order, taking datatypes from the metadata unless given', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amaas-warmup-'));
  try {
    expect(sampleWarmupRequests(dir, [])).toEqual([]);
    fs.mkdirSync(path.join(dir, 'warmup'));
    fs.writeFileSync(path.join(dir, 'warmup', 'b.json'), JSON.stringify({ x: { datatype: 'FP64', shape: [1, 2], data: [1, 2] } }));
    fs.writeFileSync(path.join(dir, 'warmup', 'a.json'), JSON.stringify({ x: [[1, 2, 3, 4]] }));
    fs.writeFileSync(path.join(dir, 'warmup', 'notes.txt'), 'ignored');
    const requests = sampleWarmupRequests(dir, [{ name: 'x', type: 'float32', shape: [-1, 4] }]);
    expect(requests.map((r) => r.label)).toEqual(['a.json', 'b.json']);
    expect(requests[0].inputs.x.type).toBe('float32');
    expect(requests[0].inputs.x.dims).toEqual([1, 4]);
    expect(Array.from(requests[0].inputs.x.data as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(requests[1].inputs.x.type).toBe('float64');
    fs.writeFileSync(path.join(dir, 'warmup', 'c.json'), '{oops');
    expect(() => sampleWarmupRequests(dir, [{ name: 'x', type: 'float32', shape: [-1, 4] }])).toThrow(/c\.json is not valid JSON/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
