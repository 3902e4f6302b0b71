import './jest-realm';
import * as ort from 'onnxruntime-node';
import { decodeModel } from '../../../tools/modelgen/onnx-builder';

export { ort };

// Fatal-only logging: runtime_failure tests trigger kernel errors on purpose.
export const QUIET: ort.InferenceSession.SessionOptions = { logSeverityLevel: 4 };

export function createSession(model: Uint8Array | string): Promise<ort.InferenceSession> {
  return typeof model === 'string'
    ? ort.InferenceSession.create(model, QUIET)
    : ort.InferenceSession.create(model, QUIET);
}

interface DecodedTensor {
  name: string;
  dims: string[];
  data_type: number;
  raw_data?: number[];
}

/** Float32 initializers of a model, decoded from raw_data (little-endian). */
export function float32Initializers(bytes: Uint8Array): Map<string, { dims: number[]; data: Float32Array }> {
  const model = decodeModel(bytes) as { graph: { initializer: DecodedTensor[] } };
  const out = new Map<string, { dims: number[]; data: Float32Array }>();
  for (const t of model.graph.initializer) {
    if (t.data_type !== 1 || !t.raw_data) continue;
    const raw = Uint8Array.from(t.raw_data);
    const view = new DataView(raw.buffer);
    const data = new Float32Array(raw.length / 4);
    for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(i * 4, true);
    out.set(t.name, { dims: t.dims.map(Number), data });
  }
  return out;
}

/** Row-major [rows, inner] x [inner, cols] (+ bias) in float64. */
export function matmul(
  x: ArrayLike<number>,
  rows: number,
  w: ArrayLike<number>,
  inner: number,
  cols: number,
  bias?: ArrayLike<number>,
): Float64Array {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      let acc = bias ? bias[c] : 0;
      for (let k = 0; k < inner; k++) acc += x[r * inner + k] * w[k * cols + c];
      y[r * cols + c] = acc;
    }
  }
  return y;
}

export function relu(v: Float64Array): Float64Array {
  return v.map((a) => (a > 0 ? a : 0));
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]));
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / scale);
  }
  expect(worst).toBeLessThan(tol);
}
