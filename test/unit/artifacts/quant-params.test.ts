import { activationParams, dequantize, quantizeActivation, quantizeBias, quantizeWeight, roundHalfEven } from '../../../src/artifacts/quant-params';
import { Prng } from '../../../tools/modelgen/prng';

describe('quantization arithmetic', () => {
  test('rounds half to even, as QuantizeLinear does', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, 2, 3]);
  });

  test('a per-tensor int8 weight round trip is within half a step of every value', () => {
    const values = new Prng(1).float32Array(1000, -3, 2);
    const q = quantizeWeight(values, [10, 100]);
    expect(q.scales).toHaveLength(1);
    expect(Math.max(...q.q)).toBeLessThanOrEqual(127);
    expect(Math.min(...q.q)).toBeGreaterThanOrEqual(-127);
    const back = dequantize(q.q, [10, 100], q.scales, q.zeroPoints);
    for (let i = 0; i < values.length; i++) expect(Math.abs(back[i] - values[i])).toBeLessThanOrEqual(q.scales[0] / 2 + 1e-7);
    // The largest magnitude maps to ±127 and comes back exact.
    expect(Math.max(...back.map(Math.abs))).toBeCloseTo(Math.max(...values.map(Math.abs)), 5);
  });

  test('per-channel scales follow each channel along the axis, and a zero channel stays zero', () => {
    const values = new Float32Array([1, -2, 0, 0, 10, 5]); // [3, 2]: columns are channels for axis 1
    const q = quantizeWeight(values, [3, 2], { axis: 1 });
    expect(Array.from(q.scales)).toEqual([Math.fround(10 / 127), Math.fround(5 / 127)]);
    const rows = quantizeWeight(values, [3, 2], { axis: 0 });
    expect(rows.scales[1]).toBe(1); // the all-zero row
    const back = dequantize(rows.q, [3, 2], rows.scales, rows.zeroPoints, 0);
    expect(back[2]).toBe(0);
    expect(back[3]).toBe(0);
  });

  test('reduce range keeps weights to 7 bits', () => {
    const values = new Prng(2).float32Array(500, -1, 1);
    const q = quantizeWeight(values, [500], { reduceRange: true });
    expect(Math.max(...q.q)).toBeLessThanOrEqual(63);
    expect(Math.min(...q.q)).toBeGreaterThanOrEqual(-64);
    expect(q.scales[0]).toBeCloseTo(Math.max(...values.map(Math.abs)) / 63, 6);
  });

  test('activation ranges always hold zero exactly, and a round trip is within half a step', () => {
    const p = activationParams(0.5, 6);
    expect(p.zeroPoint).toBe(0); // widened to [0, 6]
    const n = activationParams(-1, 3);
    expect(n.zeroPoint).toBe(64);
    const values = [-1, -0.3, 0, 0.01, 2.9, 3];
    const q = quantizeActivation(values, n);
    const back = dequantize(q, [values.length], [n.scale], [n.zeroPoint]);
    expect(back[2]).toBe(0);
    values.forEach((v, i) => expect(Math.abs(back[i] - v)).toBeLessThanOrEqual(n.scale / 2 + 1e-7));
    expect(activationParams(0, 0)).toEqual({ scale: 1, zeroPoint: 0 });
  });

  test('a bias quantizes with scale input_scale x weight_scale', () => {
    const b = quantizeBias(new Float32Array([0.5, -0.25]), 0.1, new Float32Array([0.01, 0.02]));
    expect(Array.from(b.q)).toEqual([500, -125]);
    expect(b.scales[0]).toBeCloseTo(0.001, 9);
  });
});
