import { denseModel, floatInput, idsInput, optimizedOps, ort, sqnr, tempDir } from './fixtures';
import fs from 'node:fs';
import path from 'node:path';
import { OnnxModelBuilder, attr } from '../../../tools/modelgen/onnx-builder';
import { Prng } from '../../../tools/modelgen/prng';
import { decodeModel, encodeModel, opsetVersion, writeModelFile } from '../../../src/artifacts/onnx-model';
import { quantizeDynamic } from '../../../src/artifacts/quantize-dynamic';
import { OPENWAKEWORD_TIMER_MODEL } from '../../helpers/real-models';

const dir = tempDir('amaas-dynamic-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(model: Uint8Array | string, feeds: Record<string, ort.Tensor>) {
  const s = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

const feeds = () => ({ x: floatInput(3, [4, 64]), ids: idsInput(4, [4, 4], 100) });

describe('dynamic int8 quantization', () => {
  test.each([false, true])('MatMul, Gemm and Gather are rewritten, load and stay within sqnr=30 (per channel: %s)', async (perChannel) => {
    const original = denseModel();
    const model = decodeModel(original);
    const report = quantizeDynamic(model, { perChannel, reduceRange: false });
    expect(report.quantized.sort()).toEqual(['dense1', 'dense2', 'embed']);
    const ops = model.graph.node.map((n) => n.op_type);
    expect(ops.filter((o) => o === 'MatMulInteger')).toHaveLength(2);
    expect(ops).toContain('DequantizeLinear');
    expect(ops).not.toContain('MatMul');
    expect(ops).not.toContain('Gemm');
    // The float weights are gone; int8 ones replace them.
    const names = model.graph.initializer.map((t) => t.name);
    expect(names).not.toEqual(expect.arrayContaining(['w1']));
    expect(model.graph.initializer.find((t) => t.name?.startsWith('w1_quantized'))?.data_type).toBe(3);
    if (perChannel) expect(model.graph.initializer.find((t) => t.name?.startsWith('w1_scale'))?.dims?.map(Number)).toEqual([48]);
    const f = feeds();
    const ref = await run(original, f);
    const got = await run(encodeModel(model), f);
    expect(sqnr(ref.logits.data as Float32Array, got.logits.data as Float32Array)).toBeGreaterThan(30);
    expect(sqnr(ref.embedded.data as Float32Array, got.embedded.data as Float32Array)).toBeGreaterThan(30);
  });

  test('onnxruntime fuses the pattern into DynamicQuantizeMatMul', async () => {
    const model = decodeModel(denseModel());
    quantizeDynamic(model, { reduceRange: true });
    const file = path.join(dir, 'dense-int8.onnx');
    writeModelFile(file, model);
    const ops = await optimizedOps(file, path.join(dir, 'dense-int8.optimized.onnx'));
    expect(ops.filter((o) => o === 'DynamicQuantizeMatMul')).toHaveLength(2);
    expect(ops).not.toContain('MatMulInteger');
    expect(ops).not.toContain('DynamicQuantizeLinear');
  });

  test('--exclude keeps the named node in float', () => {
    const model = decodeModel(denseModel());
    const report = quantizeDynamic(model, { exclude: ['dense1'] });
    expect(report.quantized.sort()).toEqual(['dense2', 'embed']);
    expect(report.skipped).toEqual([{ node: 'dense1', reason: 'excluded (--exclude)' }]);
    expect(model.graph.node.find((n) => n.name === 'dense1')?.op_type).toBe('MatMul');
  });

  test('an opset-9 model is raised to 11 with Clip and Slice rewritten, and computes the same', async () => {
    const r = new Prng(9);
    const b = new OnnxModelBuilder({ opsetVersion: 9 });
    b.addInput('x', 'float32', [2, 32]);
    b.addInitializer('w', 'float32', [32, 24], r.float32Array(32 * 24, -1, 1));
    b.addNode('Clip', ['x'], ['clipped'], { min: attr.float(-0.5), max: attr.float(0.75) });
    b.addNode('MatMul', ['clipped', 'w'], ['h'], {}, { name: 'mm' });
    b.addNode('Slice', ['h'], ['y'], { starts: attr.ints([2]), ends: attr.ints([20]), axes: attr.ints([1]) });
    b.addOutput('y', 'float32', [2, 18]);
    const original = b.toBytes();
    const model = decodeModel(original);
    quantizeDynamic(model);
    expect(opsetVersion(model)).toBe(11);
    const clip = model.graph.node.find((n) => n.op_type === 'Clip')!;
    expect(clip.input).toHaveLength(3);
    expect(clip.attribute ?? []).toHaveLength(0);
    const x = { x: floatInput(1, [2, 32]) };
    const ref = await run(original, x);
    const got = await run(encodeModel(model), x);
    expect(got.y.dims).toEqual([2, 18]);
    expect(sqnr(ref.y.data as Float32Array, got.y.data as Float32Array)).toBeGreaterThan(30);
  });

  test('a real classifier whose Gemm weights dominate shrinks to at most 0.35x and keeps its top-1 class', async () => {
    const model = decodeModel(fs.readFileSync(OPENWAKEWORD_TIMER_MODEL));
    quantizeDynamic(model);
    const file = path.join(dir, 'timer-int8.onnx');
    const size = writeModelFile(file, model);
    expect(size / fs.statSync(OPENWAKEWORD_TIMER_MODEL).size).toBeLessThanOrEqual(0.35);
    const s0 = await ort.InferenceSession.create(OPENWAKEWORD_TIMER_MODEL);
    const input = { [s0.inputNames[0]]: floatInput(8, [1, 34, 96], -2, 2) };
    const ref = await s0.run(input);
    await s0.release();
    const got = await run(file, input);
    const out = Object.keys(ref)[0];
    expect(sqnr(ref[out].data as Float32Array, got[out].data as Float32Array)).toBeGreaterThan(30);
  });
});
