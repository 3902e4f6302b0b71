/**
 * Linear quantization arithmetic, as ONNX's QuantizeLinear and DequantizeLinear define it:
 * q = saturate(round_half_even(x / scale) + zero_point) and x' = (q - zero_point) * scale.
 * Weights are int8 and symmetric (zero point 0), per tensor or per channel; activations are uint8 with a
 * range that always holds 0, so that padding and ReLU zeros stay exact.
 */

/** Round half to even, the rounding QuantizeLinear specifies. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export interface WeightQuantization {
  /** int8 values, laid out like the float weight. */
  readonly q: Int8Array;
  /** One scale per channel (or one for the tensor). */
  readonly scales: Float32Array;
  /** Zero points, all 0 (symmetric). */
  readonly zeroPoints: Int8Array;
  /** The channel axis, or undefined for per-tensor. */
  readonly axis: number | undefined;
}

export interface WeightOptions {
  /** Channel axis for per-channel scales; undefined for one scale. */
  readonly axis?: number;
  /**
   * 7-bit weights ([-64, 63] rather than [-127, 127]): on x86 without VNNI the u8 x s8 multiply-add
   * (vpmaddubsw) adds pairs into int16 and saturates with full 8-bit operands.
   */
  readonly reduceRange?: boolean;
}

/** How many channels and how many consecutive elements each channel block holds, for `axis` of `dims`. */
function channelLayout(dims: readonly number[], axis: number | undefined): { channels: number; inner: number } {
  if (axis === undefined) return { channels: 1, inner: dims.reduce((a, b) => a * b, 1) };
  const a = axis < 0 ? axis + dims.length : axis;
  if (a < 0 || a >= dims.length) throw new Error(`axis ${axis} is out of range for shape [${dims.join(', ')}]`);
  return { channels: dims[a], inner: dims.slice(a + 1).reduce((x, y) => x * y, 1) };
}

function channelOf(i: number, channels: number, inner: number): number {
  return channels === 1 ? 0 : Math.floor(i / inner) % channels;
}

/** Symmetric int8 quantization of a float weight. */
export function quantizeWeight(values: Float32Array, dims: readonly number[], options: WeightOptions = {}): WeightQuantization {
  const { channels, inner } = channelLayout(dims, options.axis);
  const qmin = options.reduceRange ? -64 : -127;
  const qmax = options.reduceRange ? 63 : 127;
  const absMax = new Float32Array(channels);
  for (let i = 0; i < values.length; i++) {
    const c = channelOf(i, channels, inner);
    const a = Math.abs(values[i]);
    if (a > absMax[c]) absMax[c] = a;
  }
  // A channel of zeros gets scale 1, so the scale is never 0 (DequantizeLinear would give NaN-free zeros anyway).
  const scales = Float32Array.from(absMax, (m) => (m > 0 ? m / qmax : 1));
  const q = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const s = scales[channelOf(i, channels, inner)];
    q[i] = Math.max(qmin, Math.min(qmax, roundHalfEven(values[i] / s)));
  }
  return { q, scales, zeroPoints: new Int8Array(channels), axis: options.axis };
}

/** x' = (q - zero_point) * scale, per channel along `axis` (undefined: one scale and zero point). */
export function dequantize(
  q: ArrayLike<number>,
  dims: readonly number[],
  scales: ArrayLike<number>,
  zeroPoints: ArrayLike<number>,
  axis?: number,
): Float32Array {
  const { channels, inner } = channelLayout(dims, axis);
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) {
    const c = channelOf(i, channels, inner);
    out[i] = (q[i] - zeroPoints[c]) * scales[c];
  }
  return out;
}

export interface ActivationQuantization {
  readonly scale: number;
  readonly zeroPoint: number;
}

/** uint8 scale and zero point for values seen in [min, max]; the range is widened to hold 0. */
export function activationParams(min: number, max: number): ActivationQuantization {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new Error(`calibrated range [${min}, ${max}] is not finite`);
  if (hi === lo) return { scale: 1, zeroPoint: 0 };
  const scale = (hi - lo) / 255;
  const zeroPoint = Math.max(0, Math.min(255, roundHalfEven(-lo / scale)));
  return { scale, zeroPoint };
}

/** uint8 quantization of activation values (for tests and error estimates). */
export function quantizeActivation(values: ArrayLike<number>, p: ActivationQuantization): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.max(0, Math.min(255, roundHalfEven(values[i] / p.scale) + p.zeroPoint));
  return out;
}

/**
 * A bias as int32 with scale input_scale * weight_scale[c] and zero point 0, the form QLinearConv and the QDQ
 * Conv fusion expect.
 */
export function quantizeBias(values: Float32Array, inputScale: number, weightScales: Float32Array): { q: Int32Array; scales: Float32Array } {
  const scales = Float32Array.from(values, (_, c) => inputScale * weightScales[weightScales.length === 1 ? 0 : c]);
  const q = new Int32Array(values.length);
  for (let c = 0; c < values.length; c++) {
    const v = roundHalfEven(values[c] / scales[c]);
    q[c] = Math.max(-2147483648, Math.min(2147483647, v));
  }
  return { q, scales };
}
