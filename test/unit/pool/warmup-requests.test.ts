/** Warm-up requests: generated from the input metadata (first try, then all-1), or read from <version>/warmup/*.json. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AmaasError } from '../../../src/errors';
import { generatedWarmupNote, generatedWarmupRequests, sampleWarmupRequests } from '../../../src/pool/warmup-requests';

it('first tries zeros with a dynamic first dimension 1 and other dynamic dimensions 16, empty strings for BYTES', () => {
  const [first] = generatedWarmupRequests([
    { name: 'x', type: 'float32', shape: [-1, 4] },
    { name: 'ids', type: 'int64', shape: [2, -1] },
    { name: 'wave', type: 'float32', shape: [-1, -1] },
    { name: 'text', type: 'string', shape: [-1] },
    { name: 'flag', type: 'bool', shape: [] },
  ]);
  expect(first.label).toBe('generated (dynamic dimensions 16, batch 1)');
  expect(first.inputs.x).toMatchObject({ type: 'float32', dims: [1, 4] });
  expect(Array.from(first.inputs.x.data as Float32Array)).toEqual([0, 0, 0, 0]);
  expect(first.inputs.ids.dims).toEqual([2, 16]);
  expect(first.inputs.ids.data).toBeInstanceOf(BigInt64Array);
  expect(Array.from(first.inputs.ids.data as BigInt64Array)).toEqual(new Array(32).fill(0n));
  expect(first.inputs.wave.dims).toEqual([1, 16]);
  expect(first.inputs.text).toEqual({ type: 'string', dims: [1], data: [''] });
  expect(first.inputs.flag.dims).toEqual([]);
  expect((first.inputs.flag.data as Uint8Array).length).toBe(1);
});

it('then retries with every dynamic dimension 1', () => {
  const tries = generatedWarmupRequests([
    { name: 'ids', type: 'int64', shape: [2, -1] },
    { name: 'wave', type: 'float32', shape: [-1, -1, 3] },
  ]);
  expect(tries.map((r) => r.label)).toEqual(['generated (dynamic dimensions 16, batch 1)', 'generated (dynamic dimensions 1)']);
  expect(tries.map((r) => [r.inputs.ids.dims, r.inputs.wave.dims])).toEqual([
    [
      [2, 16],
      [1, 16, 3],
    ],
    [
      [2, 1],
      [1, 1, 3],
    ],
  ]);
});

it('tries once when only first dimensions are dynamic (the retry would be the same request)', () => {
  expect(generatedWarmupRequests([{ name: 'x', type: 'float32', shape: [-1, 4] }, { name: 's', type: 'string', shape: [-1] }])).toHaveLength(1);
  expect(generatedWarmupRequests([{ name: 'x', type: 'float32', shape: [2, 3] }])[0].inputs.x.dims).toEqual([2, 3]);
});

it('refuses inputs it cannot build (non-tensor types)', () => {
  expect(() => generatedWarmupRequests([{ name: 'seq', type: 'non-tensor', shape: [] }])).toThrow(AmaasError);
});

it('notes why every generated try failed, quoting each failure up to a bound', () => {
  const note = generatedWarmupNote([
    { label: 'generated (dynamic dimensions 16, batch 1)', message: 'onnxruntime failed to run the model: Pad reflect: pre-pad (20) exceeds maximum allowed (15)' },
    { label: 'generated (dynamic dimensions 1)', message: 'x'.repeat(1000) },
  ]);
  expect(note).toMatch(/^generated warm-up failed; the version serves without it/);
  expect(note).toContain('generated (dynamic dimensions 16, batch 1): onnxruntime failed to run the model: Pad reflect: pre-pad (20)');
  expect(note).toContain(`generated (dynamic dimensions 1): ${'x'.repeat(239)}…`);
  expect(note).not.toContain('x'.repeat(240));
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
