import { denseModel, floatInput, idsInput, ort, sqnr } from './fixtures';
import { OnnxModelBuilder } from '../../../tools/modelgen/onnx-builder';
import { fromFloat16Bits } from '../../../src/codec/float16';
import { convertToFp16 } from '../../../src/artifacts/convert-fp16';
import { DataType, TensorProto, decodeModel, encodeModel } from '../../../src/artifacts/onnx-model';
import fs from 'node:fs';
import { OCR_DET_MODEL } from '../../helpers/real-models';

function halfValues(t: TensorProto): number[] {
  const raw = Uint8Array.from(t.raw_data!);
  return Array.from(new Uint16Array(raw.buffer), fromFloat16Bits);
}

/** y = x * scale + shift, with values float16 cannot hold. */
function wideModel(): Uint8Array {
  const b = new OnnxModelBuilder();
  b.addInput('x', 'float32', [4]);
  b.addInitializer('scale', 'float32', [4], [1e6, -1e6, 1e-9, 0.5]);
  b.addInitializer('shift', 'float32', [4], [1, 2, 3, 4]);
  b.addNode('Mul', ['x', 'scale'], ['scaled'], {}, { name: 'mul' });
  b.addNode('Add', ['scaled', 'shift'], ['y'], {}, { name: 'add' });
  b.addOutput('y', 'float32', [4]);
  return b.toBytes();
}

async function types(bytes: Uint8Array) {
  const s = await ort.InferenceSession.create(bytes);
  const t = [...s.inputMetadata, ...s.outputMetadata].map((m) => (m.isTensor ? `${m.name}:${m.type}` : m.name));
  await s.release();
  return t;
}

describe('fp16 conversion', () => {
  test('--keep-io-types keeps float32 inputs and outputs; the model runs within sqnr=40', async () => {
    const original = denseModel();
    const model = decodeModel(original);
    const report = convertToFp16(model, { keepIoTypes: true });
    expect(report.convertedInitializers).toBe(4);
    expect(model.graph.initializer.every((t) => t.data_type !== DataType.FLOAT)).toBe(true);
    const bytes = encodeModel(model);
    expect(await types(bytes)).toEqual(['x:float32', 'ids:int64', 'logits:float32', 'embedded:float32']);
    const feeds = { x: floatInput(1, [2, 64]), ids: idsInput(2, [2, 4], 100) };
    const ref = await (await ort.InferenceSession.create(original)).run(feeds);
    const got = await (await ort.InferenceSession.create(bytes)).run(feeds);
    expect(got.logits.type).toBe('float32');
    expect(sqnr(ref.logits.data as Float32Array, got.logits.data as Float32Array)).toBeGreaterThan(40);
  });

  test('without --keep-io-types float inputs and outputs become float16', async () => {
    const model = decodeModel(denseModel());
    convertToFp16(model);
    expect(await types(encodeModel(model))).toEqual(['x:float16', 'ids:int64', 'logits:float16', 'embedded:float16']);
  });

  test('clamp: values past ±65504 become ±65504 and tiny ones ±2^-24, not inf or zero', () => {
    const model = decodeModel(wideModel());
    const report = convertToFp16(model, { outOfRange: 'clamp' });
    expect(report.clampedValues).toBe(3);
    const scale = model.graph.initializer.find((t) => t.name === 'scale')!;
    expect(scale.data_type).toBe(DataType.FLOAT16);
    expect(halfValues(scale)).toEqual([65504, -65504, 2 ** -24, 0.5]);
  });

  test('by default a node reading values past the float16 range stays float32 with its constant', async () => {
    const model = decodeModel(wideModel());
    const report = convertToFp16(model, { keepIoTypes: true });
    expect(report.keptFp32).toEqual(['mul (Mul, constants beyond the float16 range)']);
    expect(model.graph.initializer.find((t) => t.name === 'scale')!.data_type).toBe(DataType.FLOAT);
    expect(model.graph.initializer.find((t) => t.name === 'shift')!.data_type).toBe(DataType.FLOAT16);
    const s = await ort.InferenceSession.create(encodeModel(model));
    const out = await s.run({ x: new ort.Tensor('float32', Float32Array.from([0.001, 0.001, 1, 2]), [4]) });
    const y = out.y.data as Float32Array;
    expect(y[0]).toBeCloseTo(1001, 0);
    expect(y[1]).toBeCloseTo(-998, 0);
  });

  test('PaddleOCR det: the BatchNormalization with variances near 1e8 stays float32, which keeps the output (clamping it does not)', async () => {
    const bytes = fs.readFileSync(OCR_DET_MODEL);
    const x = { x: floatInput(3, [1, 3, 64, 64], -2, 2) };
    const ref = (await (await ort.InferenceSession.create(bytes)).run(x))['sigmoid_0.tmp_0'].data as Float32Array;
    const kept = decodeModel(bytes);
    const report = convertToFp16(kept, { keepIoTypes: true });
    expect(report.keptFp32.filter((k) => k.includes('beyond the float16 range'))).toEqual(['p2o.BatchNormalization.1 (BatchNormalization, constants beyond the float16 range)']);
    const clamped = decodeModel(bytes);
    convertToFp16(clamped, { keepIoTypes: true, outOfRange: 'clamp' });
    const run = async (m: typeof kept) => (await (await ort.InferenceSession.create(encodeModel(m))).run(x))['sigmoid_0.tmp_0'].data as Float32Array;
    expect(sqnr(ref, await run(kept))).toBeGreaterThan(30);
    expect(sqnr(ref, await run(clamped))).toBeLessThan(10);
  });
});
