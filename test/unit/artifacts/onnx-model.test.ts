import fs from 'node:fs';
import { OnnxModelBuilder, attr } from '../../../tools/modelgen/onnx-builder';
import { decodeModel, encodeModel, int64ToNumber } from '../../../src/artifacts/onnx-model';
import { OCR_DET_MODEL, OPENWAKEWORD_HEY_JARVIS_MODEL } from '../../helpers/real-models';

describe('ONNX model read and write', () => {
  test.each([
    ['PaddleOCR detection', OCR_DET_MODEL],
    ['openWakeWord hey_jarvis (an If with sub-graphs)', OPENWAKEWORD_HEY_JARVIS_MODEL],
  ])('%s: decode then encode gives the same bytes', (_, file) => {
    const bytes = fs.readFileSync(file);
    expect(Buffer.from(encodeModel(decodeModel(bytes))).equals(bytes)).toBe(true);
  });

  test('int64 values beyond 2^53 survive a round trip', () => {
    const big = 2n ** 62n + 7n;
    const b = new OnnxModelBuilder();
    b.addInput('x', 'int64', [1]);
    b.addInitializer('k', 'int64', [1], [big]);
    b.addNode('Add', ['x', 'k'], ['y'], { note: attr.int(big) });
    b.addOutput('y', 'int64', [1]);
    const model = decodeModel(encodeModel(decodeModel(b.toBytes())));
    const i = model.graph.node[0].attribute![0].i!;
    expect(String(i)).toBe(big.toString());
    expect(() => int64ToNumber(i)).toThrow(/does not fit/);
    const raw = Uint8Array.from(model.graph.initializer[0].raw_data!);
    expect(new BigInt64Array(raw.buffer)[0]).toBe(big);
  });

  test('bytes that are not a model are refused', () => {
    expect(() => decodeModel(new Uint8Array([8, 1]))).toThrow(/no graph/);
  });
});
