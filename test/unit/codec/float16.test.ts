import { fromFloat16Bits, toFloat16Bits } from '../../../src/codec/float16';

describe('float16', () => {
  it.each([
    [0, 0x0000],
    [1.0, 0x3c00],
    [-1.0, 0xbc00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [0.333251953125, 0x3555],
    [65504, 0x7bff],
    [-65504, 0xfbff],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -14 - 2 ** -24, 0x03ff], // largest subnormal
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
  ])('encodes %p as bits %p', (value, bits) => {
    expect(toFloat16Bits(value)).toBe(bits);
    expect(fromFloat16Bits(bits)).toBe(value);
  });

  it('keeps the sign of zero', () => {
    expect(toFloat16Bits(-0)).toBe(0x8000);
    expect(Object.is(fromFloat16Bits(0x8000), -0)).toBe(true);
  });

  it('encodes NaN as a NaN pattern and decodes NaN patterns to NaN', () => {
    const bits = toFloat16Bits(NaN);
    expect(bits & 0x7c00).toBe(0x7c00);
    expect(bits & 0x3ff).not.toBe(0);
    expect(fromFloat16Bits(bits)).toBeNaN();
    expect(fromFloat16Bits(0x7e00)).toBeNaN();
    expect(fromFloat16Bits(0x7c01)).toBeNaN();
    expect(fromFloat16Bits(0xfe00)).toBeNaN();
  });

  it('rounds a tie to the even neighbour', () => {
    // Spacing above 1 is 2^-10. 1 + 2^-11 lies halfway between 0x3c00 (even) and 0x3c01 (odd): down.
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3*2^-11 lies halfway between 0x3c01 (odd) and 0x3c02 (even): up.
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    // Just above a tie goes up, just below goes down.
    expect(toFloat16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
    expect(toFloat16Bits(1 + 2 ** -11 - 2 ** -20)).toBe(0x3c00);
    // Subnormal ties: 2^-25 is halfway between 0 (even) and 0x0001: down to 0.
    expect(toFloat16Bits(2 ** -25)).toBe(0x0000);
    // 3 * 2^-25 is halfway between 0x0001 (odd) and 0x0002 (even): up.
    expect(toFloat16Bits(3 * 2 ** -25)).toBe(0x0002);
    // Just above half of the smallest subnormal rounds up to it.
    expect(toFloat16Bits(2 ** -25 + 2 ** -35)).toBe(0x0001);
  });

  it('rounds a carry into the exponent correctly', () => {
    // The largest value below 2 rounds up to exactly 2.
    expect(toFloat16Bits(2 - 2 ** -12)).toBe(0x4000);
    // Largest subnormal + a hair over half a step becomes the smallest normal.
    expect(toFloat16Bits(2 ** -14 - 2 ** -25 + 2 ** -30)).toBe(0x0400);
  });

  it('overflows to infinity', () => {
    expect(toFloat16Bits(65520)).toBe(0x7c00); // halfway between 65504 and 65536: rounds to even = inf
    expect(toFloat16Bits(65519)).toBe(0x7bff);
    expect(toFloat16Bits(1e6)).toBe(0x7c00);
    expect(toFloat16Bits(-1e6)).toBe(0xfc00);
    expect(toFloat16Bits(1e300)).toBe(0x7c00);
  });

  it('underflows to signed zero', () => {
    expect(toFloat16Bits(2 ** -26)).toBe(0x0000);
    expect(toFloat16Bits(-(2 ** -26))).toBe(0x8000);
    expect(toFloat16Bits(1e-30)).toBe(0x0000);
  });

  it('round-trips every non-NaN bit pattern exactly', () => {
    const failures: number[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      const isNaN16 = (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;
      if (isNaN16) continue;
      if (toFloat16Bits(fromFloat16Bits(bits)) !== bits) failures.push(bits);
    }
    expect(failures).toEqual([]);
  });

  it('decodes every pattern to a value float32 represents exactly', () => {
    const f = new Float32Array(1);
    for (let bits = 0; bits < 0x10000; bits += 7) {
      const v = fromFloat16Bits(bits);
      if (Number.isNaN(v)) continue;
      f[0] = v;
      expect(f[0]).toBe(v);
    }
  });
});
