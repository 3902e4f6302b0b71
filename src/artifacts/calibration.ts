/**
 * Activation ranges for static quantization, measured by running onnxruntime-node on sample inputs with the
 * tensors of interest added as graph outputs. MinMax takes the extremes over all samples; percentile takes,
 * per sample, the values at `percentile` and 100 - `percentile` (from a 2048-bin histogram) and averages them
 * over the samples, so a few outliers do not stretch the range and waste the 256 levels.
 */
import * as ort from 'onnxruntime-node';
import { DataType, ModelProto, decodeModel, encodeModel } from './onnx-model';
import { Sample, feedsFor } from './samples';

export type CalibrationMethod = 'minmax' | 'percentile';

export interface ValueRange {
  readonly min: number;
  readonly max: number;
}

const BINS = 2048;

/** The values at `p` and 100 - `p` percent of `values`, to within one histogram bin. */
export function percentileRange(values: ArrayLike<number>, p: number): ValueRange {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) return { min: lo, max: hi };
  const counts = new Float64Array(BINS);
  const width = (hi - lo) / BINS;
  for (let i = 0; i < values.length; i++) counts[Math.min(BINS - 1, Math.floor((values[i] - lo) / width))]++;
  const cut = ((100 - p) / 100) * values.length;
  let seen = 0;
  let low = 0;
  while (low < BINS - 1 && seen + counts[low] <= cut) seen += counts[low++];
  seen = 0;
  let high = BINS - 1;
  while (high > 0 && seen + counts[high] <= cut) seen += counts[high--];
  return { min: lo + low * width, max: lo + (high + 1) * width };
}

function minMax(values: ArrayLike<number>): ValueRange {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < min) min = values[i];
    if (values[i] > max) max = values[i];
  }
  return { min, max };
}

export interface CalibrationOptions {
  readonly method?: CalibrationMethod;
  /** For the percentile method; default 99.999. */
  readonly percentile?: number;
}

/** Ranges of the float tensors `names` of `model` over `samples`. The model itself is not changed. */
export async function calibrate(model: ModelProto, names: readonly string[], samples: readonly Sample[], options: CalibrationOptions = {}): Promise<Map<string, ValueRange>> {
  if (samples.length === 0) throw new Error('calibration needs at least one sample');
  const method = options.method ?? 'minmax';
  const p = options.percentile ?? 99.999;
  const probe = decodeModel(encodeModel(model));
  const declared = new Set(probe.graph.output.map((o) => o.name));
  for (const name of names) if (!declared.has(name)) probe.graph.output.push({ name, type: { tensor_type: { elem_type: DataType.FLOAT } } });
  // Warnings only: onnxruntime would otherwise log each probe output it finds unusual.
  const session = await ort.InferenceSession.create(encodeModel(probe), { logSeverityLevel: 3 });
  const perSample = new Map<string, ValueRange[]>(names.map((n) => [n, []]));
  try {
    for (const s of samples) {
      const out = await session.run(feedsFor(session, s.feeds), [...names]);
      for (const name of names) {
        const data = out[name].data as Float32Array;
        perSample.get(name)!.push(method === 'minmax' ? minMax(data) : percentileRange(data, p));
      }
    }
  } finally {
    await session.release();
  }
  const ranges = new Map<string, ValueRange>();
  for (const [name, rs] of perSample) {
    if (method === 'minmax') ranges.set(name, { min: Math.min(...rs.map((r) => r.min)), max: Math.max(...rs.map((r) => r.max)) });
    else ranges.set(name, { min: rs.reduce((a, r) => a + r.min, 0) / rs.length, max: rs.reduce((a, r) => a + r.max, 0) / rs.length });
  }
  return ranges;
}
