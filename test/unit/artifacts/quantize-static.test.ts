import { convModel, floatInput, optimizedOps, ort, sqnr, tempDir, writeSamples } from './fixtures';
import fs from 'node:fs';
import path from 'node:path';
import { percentileRange } from '../../../src/artifacts/calibration';
import { decodeModel, encodeModel, opsetVersion, writeModelFile } from '../../../src/artifacts/onnx-model';
import { quantizeStatic } from '../../../src/artifacts/quantize-static';
import { modelInputTypes, readSamples } from '../../../src/artifacts/samples';
import { int64ToNumber } from '../../../src/artifacts/onnx-model';
import { OnnxModelBuilder, attr } from '../../../tools/modelgen/onnx-builder';
import { Prng } from '../../../tools/modelgen/prng';

const dir = tempDir('amaas-static-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const sampleDir = writeSamples(path.join(dir, 'samples'), [1, 2, 3, 4].map((s) => ({ x: floatInput(s, [1, 3, 16, 16]) })));

describe('static int8 quantization (QDQ)', () => {
  test.each(['minmax', 'percentile'] as const)('convolutions get QDQ with per-channel weights and stay within sqnr=25 (%s)', async (method) => {
    const original = convModel();
    const model = decodeModel(original);
    const samples = readSamples(sampleDir, modelInputTypes(model));
    expect(samples).toHaveLength(4);
    const report = await quantizeStatic(model, { samples, method });
    expect(report.quantized.sort()).toEqual(['conv1', 'conv2']);
    expect(opsetVersion(model)).toBe(13);
    const ops = model.graph.node.map((n) => n.op_type);
    expect(ops).not.toContain('BatchNormalization'); // folded into conv1
    expect(ops.filter((o) => o === 'QuantizeLinear').length).toBeGreaterThanOrEqual(3);
    const weightDq = model.graph.node.filter((n) => n.op_type === 'DequantizeLinear' && n.input[0].startsWith('conv1_folded_weight'));
    expect(weightDq).toHaveLength(1);
    expect(int64ToNumber(weightDq[0].attribute?.find((a) => a.name === 'axis')?.i)).toBe(0);
    const x = { x: floatInput(99, [1, 3, 16, 16]) };
    const s0 = await ort.InferenceSession.create(original);
    const s1 = await ort.InferenceSession.create(encodeModel(model));
    const ref = await s0.run(x);
    const got = await s1.run(x);
    await s0.release();
    await s1.release();
    expect(sqnr(ref.y.data as Float32Array, got.y.data as Float32Array)).toBeGreaterThan(25);
  });

  test('onnxruntime runs the QDQ groups as QLinearConv', async () => {
    const model = decodeModel(convModel());
    await quantizeStatic(model, { samples: readSamples(sampleDir, modelInputTypes(model)) });
    const file = path.join(dir, 'conv-qdq.onnx');
    writeModelFile(file, model);
    const ops = await optimizedOps(file, path.join(dir, 'conv-qdq.optimized.onnx'));
    expect(ops.filter((o) => o === 'QLinearConv')).toHaveLength(2);
    expect(ops).not.toContain('Conv');
  });

  test('a model that cannot reach opset 13 (a Softmax on axis 1) gets per-tensor weights and still runs', async () => {
    const r = new Prng(21);
    const b = new OnnxModelBuilder({ opsetVersion: 11 });
    b.addInput('x', 'float32', [1, 3, 16, 16]);
    b.addInitializer('k', 'float32', [4, 3, 3, 3], r.float32Array(4 * 27, -0.5, 0.5));
    b.addInitializer('kb', 'float32', [4], r.float32Array(4, -0.1, 0.1));
    b.addNode('Conv', ['x', 'k', 'kb'], ['c'], {}, { name: 'conv' });
    b.addNode('Softmax', ['c'], ['y'], { axis: attr.int(1) });
    b.addOutput('y', 'float32', [1, 4, 14, 14]);
    const original = b.toBytes();
    const model = decodeModel(original);
    const report = await quantizeStatic(model, { samples: readSamples(sampleDir, modelInputTypes(model)) });
    expect(report.notes).toEqual([expect.stringMatching(/^per-tensor weights: .*\(Softmax\) uses an axis other than -1/)]);
    expect(opsetVersion(model)).toBe(11);
    expect(model.graph.node.filter((n) => n.op_type === 'DequantizeLinear').every((n) => !(n.attribute ?? []).some((a) => a.name === 'axis'))).toBe(true);
    const x = { x: floatInput(7, [1, 3, 16, 16]) };
    const ref = await (await ort.InferenceSession.create(original)).run(x);
    const got = await (await ort.InferenceSession.create(encodeModel(model))).run(x);
    expect(sqnr(ref.y.data as Float32Array, got.y.data as Float32Array)).toBeGreaterThan(20);
  });

  test('percentile calibration ignores a few outliers that minmax keeps', () => {
    const values = new Float32Array(100000).map((_, i) => (i % 1000) / 1000);
    values[5] = 1000;
    const r = percentileRange(values, 99.9);
    expect(r.max).toBeLessThan(2);
    expect(r.min).toBeGreaterThanOrEqual(0);
  });

  test('static quantization without samples is refused', async () => {
    await expect(quantizeStatic(decodeModel(convModel()), { samples: [] })).rejects.toThrow(/at least one sample/);
  });
});
